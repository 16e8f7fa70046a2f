"""Standard formats in and out: a FHIR International Patient Summary imported into the consultation form's draft for
review, and a signed outcome exported as a FHIR document bundle and a GA4GH Phenopacket."""
