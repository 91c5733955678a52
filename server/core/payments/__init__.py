"""Payment gateways behind server.core.domain.payments.PaymentGateway, chosen once from config
(`providers.py`): the built-in `simulated_gateway.py` (`SHOPCAST_PAYMENTS=test` only), which
takes no money, and `stripe_gateway.py`."""
