"""signflow: gateway."""
