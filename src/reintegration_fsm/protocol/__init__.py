"""The protocol as data (`definition`), its steps declared once (`steps`), the `transitions`
machine built from them (`machine`) and the diagrams drawn from them (`diagrams`)."""
