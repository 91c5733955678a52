"""Payment gateways behind server.core.domain.payments.PaymentGateway, chosen once from config
(`providers.py`): the built-in `test_gateway.py`, which takes no money, and `stripe_gateway.py`."""
