// Draws the ```mermaid blocks (pymdownx.superfences puts each in a <div class="mermaid">) with
// the Mermaid bundled beside this file: the docs fetch nothing from elsewhere.
mermaid.initialize({ startOnLoad: true, theme: "neutral", securityLevel: "strict" });
