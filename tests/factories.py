"""factory_boy factories for the domain core; tests build exactly the data they talk about."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from frontline.catalog.models import Brand, Product, StockLevel, Variant
from frontline.customers.models import Customer, CustomerIdentity, Interaction
from frontline.orders.models import Order, OrderLine
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

TEST_PASSWORD = "correct-horse-battery-staple"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"store-{n}")
    name = factory.Sequence(lambda n: f"Store {n}")
    city = "London"
    latitude = Decimal("51.507400")
    longitude = Decimal("-0.127800")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class StoreAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreAssignment

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = StaffRole.ASSOCIATE
    is_primary = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: f"C{n:08d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(
        lambda c: f"{c.first_name}.{c.last_name}.{c.number}@example.com".lower()
    )
    phone = factory.Sequence(lambda n: f"+4477009{n:05d}")
    preferred_store = factory.SubFactory(StoreFactory)


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    source = "crm"
    external_id = factory.Sequence(lambda n: f"003{n:015d}")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = "store"
    kind = "visit"
    occurred_at = factory.LazyFunction(timezone.now)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Brand {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    style_code = factory.Sequence(lambda n: f"ST{n:06d}")
    name = factory.Sequence(lambda n: f"Merino crew {n}")
    brand = factory.SubFactory(BrandFactory)
    category = Product.Category.TOPS


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU{n:08d}")
    size = "M"
    colour = "Navy"
    price = Decimal("89.00")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    store = factory.SubFactory(StoreFactory)
    variant = factory.SubFactory(VariantFactory)
    on_hand = 5
    reserved = 0


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"SO{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    channel = Order.Channel.STORE
    store = factory.SubFactory(StoreFactory)
    placed_at = factory.LazyFunction(timezone.now)
    total = Decimal("89.00")
    source = "pos"
    external_id = factory.Sequence(lambda n: f"pos-{n}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    variant = factory.SubFactory(VariantFactory)
    sku = factory.LazyAttribute(lambda line: line.variant.sku)
    quantity = 1
    unit_price = Decimal("89.00")


def customer_record(
    external_id: str = "C1",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    email: str = "ada@example.com",
    **fields: object,
) -> dict[str, object]:
    """A source's customer record as ``customers_land`` takes it, blanks where not given."""
    return {
        "external_id": external_id,
        "number": "",
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": "",
        "postcode": "",
        "country": "GB",
        **fields,
    }


# --- notifications ----------------------------------------------------------------------


def staff_at(store: Store, role: str = StaffRole.ASSOCIATE, **user_fields: object) -> User:
    """A staff member working at ``store`` in ``role`` (their primary store)."""
    return StoreAssignmentFactory(store=store, role=role, user=UserFactory(**user_fields)).user


# --- Recommended actions (frontline.actions) ---------------------------------------------

from frontline.actions.models import ActionOutcome, ActionSuggestion  # noqa: E402
from frontline.customers.models import (  # noqa: E402
    Consent,
    CustomerPreference,
    CustomerSize,
)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    customer = factory.SubFactory(CustomerFactory)
    channel = "email"
    purpose = "marketing"
    granted = True
    recorded_at = factory.LazyFunction(timezone.now)


class CustomerPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPreference

    customer = factory.SubFactory(CustomerFactory)
    kind = "brand"
    value = "Brand 0"


class CustomerSizeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerSize

    customer = factory.SubFactory(CustomerFactory)
    category = "tops"
    size = "M"


class ActionSuggestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionSuggestion

    customer = factory.SubFactory(CustomerFactory)
    rule = "birthday_soon"
    score = 70.0
    reason = "Birthday in 3 days (2 Dec): send a greeting."
    data = factory.LazyFunction(lambda: {"occasion": "birthday", "days_until": 3})
    channel = "email"
    computed_at = factory.LazyFunction(timezone.now)


class ActionOutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionOutcome

    customer = factory.SubFactory(CustomerFactory)
    rule = "birthday_soon"
    kind = "accepted"
    score = 70.0
    reason = "Birthday soon"
    store = factory.LazyAttribute(lambda outcome: outcome.customer.preferred_store)
    decided_at = factory.LazyFunction(timezone.now)


# --- Customers: notes and wishlist (frontline.customers) ---------------------------------

from frontline.customers.models import CustomerNote, WishlistItem  # noqa: E402


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerNote

    customer = factory.SubFactory(CustomerFactory)
    author = factory.SubFactory(UserFactory)
    body = "Prefers fittings on Saturday mornings."


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WishlistItem

    customer = factory.SubFactory(CustomerFactory)
    description = "Cashmere scarf, camel"
    source = "associate"


# --- Follow-ups (frontline.followups) ---------------------------------------------------

from frontline.followups.models import FollowUp  # noqa: E402


class FollowUpFactory(factory.django.DjangoModelFactory):
    """A follow-up written directly (no history, no notification): for reads and figures."""

    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    store = factory.SelfAttribute("customer.preferred_store")
    assignee = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(timezone.localdate)
    reason = "thank_you"
