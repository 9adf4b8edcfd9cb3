"""The protocol as data (`definition`, the path it is imported by: `Protocol` and the library's
own in `protocols`, their fields' checks in `field_checks`, a protocol file read in `toml_file`,
the rules' digest in `fingerprints`, the protocols a store knows in `registry`), its steps
declared once (`steps`), the `transitions` machine built from them (`machine`) and the diagrams
drawn from them (`diagrams`)."""
