"""Payment gateways behind server.domain.payments.PaymentGateway: the built-in test gateway
now, real providers later, chosen once in the composition root."""
