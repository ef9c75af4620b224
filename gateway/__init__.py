"""signflow's HTTP edge: loan events in, Digisign redirects in, lifecycle state out.

    app        create_app(config, client, codec=None): the FastAPI application
    config     GatewayConfig, built by workers/ from settings
    events     LoanEvent: the loan-origination event schema
    intake     intake(): start one lifecycle per document (HTTP and CLI)
    auth       bearer or HMAC authentication of the API
    redirects  activation and sign redirects → signals
    pages      the HTML pages a signer's browser sees
    signings   GET a lifecycle's state, POST actions (workflow updates)
    health     /healthz, /readyz
    codec      the Temporal UI's codec endpoint
    cli        start_from_file() for `signflow start event.json`

The gateway never reads the environment and talks to Temporal only through the
`temporalio.client.Client` it is given.
"""
