"""signflow: digisign."""
