"""factory_boy factories for the governance domain."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from lfr_portal.models import (
    Alert,
    Camera,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    DeploymentStatus,
    DocumentKind,
    EnrolmentState,
    EntryCategory,
    EntryReference,
    EntryStatus,
    LeafletRecord,
    OfficerProfile,
    Rank,
    Role,
    SignageRecord,
    UseCase,
    Watchlist,
    WatchlistEntry,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Officer{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        rank = kwargs.get("rank") or (
            Rank.SUPERINTENDENT if extracted == Role.AUTHORISING_OFFICER else Rank.CONSTABLE
        )
        OfficerProfile.objects.create(user=self, rank=rank)
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


def user_with_role(role, **kwargs):
    return UserFactory(role=role, **kwargs)


class CameraFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Camera

    name = factory.Sequence(lambda n: f"Camera {n}")
    # .invalid never resolves: no test can reach a real host through a factory camera.
    source_url = factory.Sequence(lambda n: f"rtsp://camera-{n}.invalid/stream1")
    latitude = Decimal("51.513000")
    longitude = Decimal("-0.089000")


class DeploymentFactory(factory.django.DjangoModelFactory):
    """A complete draft that an authorising officer could approve once submitted."""

    class Meta:
        model = Deployment
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Deployment {n}")
    use_case = UseCase.CRIME_HOTSPOT
    purpose = "Locate people wanted for violent offences in the town centre."
    justification = (
        "Recent robberies; a watchlist of 40 wanted people; less intrusive means failed."
    )
    location_name = "High Street, outside the station"
    borough = "Camden"
    latitude = Decimal("51.539000")
    longitude = Decimal("-0.142600")
    radius_m = 150
    # The "where" case the authorising officer needs before approving.
    grounds_references = "CAD 4411/24; intelligence report IR-2024-0193 (robbery series)."
    grounds_crime_figures = "38 street robberies within 200 m in the last 90 days (force CRIS)."
    grounds_alternatives = "High-visibility patrols for six weeks; robberies continued."
    why_here_summary = (
        "Robberies near the station have risen; people wanted for them are seen here."
    )
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=8))
    engine = "opencv-sface"
    threshold = Decimal("0.500")
    expected_faces = 20_000
    created_by = factory.LazyFunction(lambda: user_with_role(Role.DEPLOYMENT_PLANNER))
    status = DeploymentStatus.DRAFT
    watchlist = factory.RelatedFactory(
        "tests.factories.WatchlistFactory", factory_related_name="deployment"
    )


class WatchlistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Watchlist

    deployment = factory.SubFactory(DeploymentFactory, watchlist=None)
    created_by = factory.SelfAttribute("deployment.created_by")


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentDocument

    deployment = factory.SubFactory(DeploymentFactory)
    kind = DocumentKind.DPIA
    reference = factory.Sequence(lambda n: f"DOC-{n:05d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    review_by = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))
    added_by = factory.SelfAttribute("deployment.created_by")


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchlistEntry

    watchlist = factory.SubFactory(WatchlistFactory)
    display_name = factory.Sequence(lambda n: f"Person {n}")
    category = EntryCategory.WANTED
    reason = "Wanted on warrant for robbery."
    legal_basis = "Police and Criminal Evidence Act 1984; warrant"
    reference_number = factory.Sequence(lambda n: f"CUST/{n:06d}")
    image_source = "Custody record"
    image_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=200))
    added_by = factory.LazyFunction(lambda: user_with_role(Role.WATCHLIST_MANAGER))
    status = EntryStatus.PENDING
    # Governance tests need entries that could be approved; enrolment has its own tests.
    enrolment_state = EnrolmentState.ENROLLED


class EntryReferenceFactory(factory.django.DjangoModelFactory):
    """A further photograph of an entry's person; give it `image` to hold a file."""

    class Meta:
        model = EntryReference

    entry = factory.SubFactory(EntryFactory)
    added_by = factory.LazyAttribute(lambda o: o.entry.added_by)
    enrolment_state = EnrolmentState.PENDING


class SignageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignageRecord

    deployment = factory.SubFactory(DeploymentFactory)
    description = "A1 sign on lamp post"
    location_name = "High Street north"
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=30))
    recorded_by = factory.LazyFunction(lambda: user_with_role(Role.FIELD_OFFICER))


class LeafletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeafletRecord

    deployment = factory.SubFactory(DeploymentFactory)
    quantity = 200
    location_name = "Station entrance"
    distributed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=20))
    recorded_by = factory.LazyFunction(lambda: user_with_role(Role.FIELD_OFFICER))


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentCamera

    deployment = factory.SubFactory(DeploymentFactory)
    camera = factory.SubFactory(CameraFactory)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    deployment = factory.SubFactory(DeploymentFactory, status=DeploymentStatus.LIVE)
    camera = factory.SubFactory(BookingFactory, deployment=factory.SelfAttribute("..deployment"))
    entry = factory.SubFactory(
        EntryFactory, watchlist=factory.SelfAttribute("..deployment.watchlist")
    )
    entry_reference = factory.SelfAttribute("entry.reference_number")
    score = Decimal("0.5123")
    captured_at = factory.LazyFunction(timezone.now)
    dedup_key = factory.Sequence(lambda n: f"test-alert-{n}")
