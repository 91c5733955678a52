"""Stripe through its official SDK: PaymentIntents with manual capture.

The page collects the card with Stripe.js (`createPaymentMethod`) and sends only the
PaymentMethod's id; the server creates and confirms the PaymentIntent (`capture_method=manual`,
the order's idempotency key). When the card needs 3-D Secure, the intent answers
`requires_action` and its client secret goes back to the page, which runs the challenge with
Stripe.js and calls pay again (or Stripe's `payment_intent.amount_capturable_updated` webhook
arrives); the intent is then retrieved and captured. Card data never reaches the server.

Calls use the SDK's async methods over its own aiohttp client (the core imports no web
framework), made on first use inside the running loop and closed at shutdown. Webhooks are
verified with the SDK's own `construct_event` (the `Stripe-Signature` header, HMAC-SHA256,
5 minutes' tolerance).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import TypeVar, cast

import stripe
from stripe.params import PaymentIntentCreateParams, RefundCreateParams

from server.core.domain.error_codes import GeneralCode, PaymentCode
from server.core.domain.errors import Conflict, Forbidden, ValidationError
from server.core.domain.money import Money
from server.core.domain.payments import (
    Authorization,
    ClientSetup,
    GatewayError,
    PaymentDeclined,
    PaymentError,
    PaymentMethodRequired,
    Refund,
    WebhookEvent,
)
from server.core.payments import stripe_shapes

logger = logging.getLogger(__name__)
T = TypeVar("T")
SIGNATURE_HEADER = "Stripe-Signature"
NETWORK_RETRIES = 2  # the SDK retries connection failures with the same idempotency key


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        *,
        script_url: str = "https://js.stripe.com/v3/",
        api_base: str | None = None,
        method_types: str | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        """`method_types`: the parameter naming the accepted payment method types; the SDK's
        API version takes `allowed_payment_method_types`, a local Stripe-compatible server
        (localstripe) the older `payment_method_types`."""
        self.client_setup = ClientSetup(self.name, publishable_key, script_url)
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base
        self._timeout_s = timeout_s
        self._method_types = method_types or "allowed_payment_method_types"
        self._http: stripe.AIOHTTPClient | None = None
        self._client: stripe.StripeClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        """The SDK client, made on first use (its aiohttp session needs the running loop)."""
        if self._client is None:
            self._http = http = stripe.AIOHTTPClient(timeout=self._timeout_s)
            self._client = stripe.StripeClient(
                self._secret_key,
                base_addresses={"api": self._api_base} if self._api_base else None,
                http_client=http,
                max_network_retries=NETWORK_RETRIES,
            )
        return self._client

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()
        self._http, self._client = None, None

    async def authorize(
        self, amount: Money, idempotency_key: str, payment_method: str | None = None
    ) -> Authorization:
        if amount.amount_minor <= 0:
            raise ValidationError(
                "an authorization is for a positive amount", code=PaymentCode.BAD_AMOUNT
            )
        if not payment_method:
            raise PaymentMethodRequired("pay with a payment_method collected by Stripe.js")
        # Cards only: other methods may redirect, which needs a return_url the pay call lacks.
        params = cast(
            PaymentIntentCreateParams,
            {
                "amount": amount.amount_minor,
                "currency": amount.currency.lower(),
                "capture_method": "manual",
                self._method_types: ["card"],
                "payment_method": payment_method,
                "confirm": True,
                "metadata": {stripe_shapes.REFERENCE: idempotency_key},
            },
        )
        intents = self.client.v1.payment_intents
        intent = await _sdk(intents.create_async(params, {"idempotency_key": idempotency_key}))
        if intent.status not in ("requires_capture", "succeeded"):
            # A replayed key answers the first response as it was: ask for the intent as it is.
            intent = await _sdk(intents.retrieve_async(intent.id))
        auth = stripe_shapes.authorization(intent.to_dict(), self.client_setup)
        if auth.amount != amount:
            raise Conflict(
                "payment key reused for another amount", code=GeneralCode.IDEMPOTENCY_REUSED
            )
        return auth

    async def confirm(self, authorization_id: str) -> Authorization:
        intent = await _sdk(self.client.v1.payment_intents.retrieve_async(authorization_id))
        return stripe_shapes.authorization(intent.to_dict(), self.client_setup)

    async def capture(self, authorization_id: str) -> Authorization:
        intents = self.client.v1.payment_intents
        intent = await _sdk(intents.retrieve_async(authorization_id))
        if intent.status == "requires_capture":
            options: stripe.RequestOptions = {"idempotency_key": f"capture-{authorization_id}"}
            intent = await _sdk(intents.capture_async(authorization_id, None, options))
        if intent.status != "succeeded":
            raise PaymentDeclined(
                f"the capture left the payment {intent.status}", code=PaymentCode.CAPTURE_FAILED
            )
        return stripe_shapes.authorization(intent.to_dict(), self.client_setup)

    async def void(self, authorization_id: str) -> None:
        intents = self.client.v1.payment_intents
        intent = await _sdk(intents.retrieve_async(authorization_id))
        if intent.status == "succeeded":
            raise PaymentError(
                "captured: refund it instead", code=PaymentCode.AUTHORIZATION_CAPTURED
            )
        if intent.status != "canceled":
            options: stripe.RequestOptions = {"idempotency_key": f"void-{authorization_id}"}
            await _sdk(intents.cancel_async(authorization_id, None, options))

    async def refund(self, authorization_id: str, amount: Money, idempotency_key: str) -> Refund:
        params: RefundCreateParams = {
            "payment_intent": authorization_id,
            "amount": amount.amount_minor,
        }
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        made = await _sdk(self.client.v1.refunds.create_async(params, options))
        return Refund(
            str(made.id), authorization_id, stripe_shapes.money(made.amount, made.currency)
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent | None:
        signature = next((v for k, v in headers.items() if k.lower() == "stripe-signature"), "")
        try:
            verified = self.client.construct_event(body, signature, self._webhook_secret)
        except stripe.SignatureVerificationError:
            raise Forbidden(
                "the webhook signature does not match", code=PaymentCode.BAD_WEBHOOK_SIGNATURE
            ) from None
        except ValueError as error:
            raise ValidationError(
                "the webhook body is malformed", code=PaymentCode.BAD_WEBHOOK
            ) from error
        try:
            return stripe_shapes.event(verified.to_dict())
        except (KeyError, TypeError) as error:
            raise ValidationError(
                "the webhook body is malformed", code=PaymentCode.BAD_WEBHOOK
            ) from error


async def _sdk(call: Awaitable[T]) -> T:
    """One SDK call with Stripe's errors as the port's."""
    try:
        return await call
    except stripe.CardError as error:
        raise PaymentDeclined(error.user_message or "the card was declined") from None
    except stripe.IdempotencyError:
        raise Conflict(
            "payment key reused for another payment", code=GeneralCode.IDEMPOTENCY_REUSED
        ) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise GatewayError(
            f"Stripe did not answer: {error.user_message or type(error).__name__}"
        ) from None
    except stripe.AuthenticationError:
        logger.error("Stripe refused the secret key (SHOPCAST_STRIPE_SECRET_KEY)")
        raise GatewayError("the payment provider refused our key") from None
    except stripe.StripeError as error:
        logger.warning("Stripe refused a request: %s", error)
        raise PaymentError(
            error.user_message or "the payment provider refused", code=PaymentCode.GATEWAY_REFUSED
        ) from None
