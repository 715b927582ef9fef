from django.contrib import admin

from frontline.appointments.models import (
    Booking,
    BookingEmail,
    Break,
    DateOverride,
    LookbookItem,
    Service,
    StoreMeetingRoom,
    Stylist,
    TimeOff,
    WorkingHours,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "duration_minutes", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class BreakInline(admin.TabularInline):
    model = Break
    extra = 0


class DateOverrideInline(admin.TabularInline):
    model = DateOverride
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Stylist)
class StylistAdmin(admin.ModelAdmin):
    list_display = ["display_name", "store", "is_bookable", "slot_interval_minutes"]
    list_filter = ["store", "is_bookable"]
    raw_id_fields = ["user"]
    filter_horizontal = ["services"]
    inlines = [WorkingHoursInline, BreakInline, DateOverrideInline, TimeOffInline]


class BookingEmailInline(admin.TabularInline):
    model = BookingEmail
    extra = 0
    readonly_fields = ["kind", "sequence", "created_at", "sent_at"]
    can_delete = False


class LookbookItemInline(admin.TabularInline):
    model = LookbookItem
    extra = 0
    raw_id_fields = ["variant", "hold", "added_by"]


@admin.register(StoreMeetingRoom)
class StoreMeetingRoomAdmin(admin.ModelAdmin):
    """A store's external video link, for its stylists who have none of their own."""

    list_display = ["store", "external_meeting_url"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "service", "stylist", "store", "name", "status"]
    list_filter = ["status", "store", "service"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["customer", "stylist"]
    search_fields = ["name", "email", "ical_uid"]
    # Times and versions change only through the services, which keep the invite in step.
    readonly_fields = [
        "token",
        "ical_uid",
        "sequence",
        "starts_at",
        "ends_at",
        "blocks_until",
        "scheduled_at",
        "cancelled_at",
        "external_meeting_url",
        "outcome_recorded_at",
        "outcome_recorded_by",
    ]
    inlines = [BookingEmailInline, LookbookItemInline]
