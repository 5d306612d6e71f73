"""Time zones as LCM names them in contact modes ("(UTC-05:00) Eastern Time (US and Canada)")
and as the sixth part of an LCM key (a numeric index), mapped to IANA zones."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .fields import is_whole_number


@dataclass(frozen=True)
class LcmTimeZone:
    index: int
    label: str
    iana: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.iana)


TIME_ZONES: tuple[LcmTimeZone, ...] = (
    LcmTimeZone(4, "(UTC-10:00) Hawaii", "Pacific/Honolulu"),
    LcmTimeZone(5, "(UTC-09:00) Alaska", "America/Anchorage"),
    LcmTimeZone(15, "(UTC-08:00) Pacific Time (US and Canada)", "America/Los_Angeles"),
    LcmTimeZone(10, "(UTC-07:00) Mountain Time (US and Canada)", "America/Denver"),
    LcmTimeZone(20, "(UTC-06:00) Central Time (US and Canada)", "America/Chicago"),
    LcmTimeZone(84, "(UTC-05:00) Eastern Time (US and Canada)", "America/New_York"),
    LcmTimeZone(44, "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", "Europe/London"),
    LcmTimeZone(
        110, "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"
    ),
    LcmTimeZone(190, "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"),
    LcmTimeZone(255, "(UTC+10:00) Canberra, Melbourne, Sydney", "Australia/Sydney"),
)

_BY_LABEL = {tz.label.lower(): tz for tz in TIME_ZONES}
_BY_INDEX = {tz.index: tz for tz in TIME_ZONES}
_BY_IANA = {tz.iana.lower(): tz for tz in TIME_ZONES}


def find_time_zone(label_or_name: str) -> LcmTimeZone | None:
    """Match an LCM label (spacing and case forgiven) or an IANA name."""
    key = " ".join(str(label_or_name).split()).lower()
    return _BY_LABEL.get(key) or _BY_IANA.get(key)


def time_zone_from_key(lcm_key: str) -> LcmTimeZone | None:
    """The time zone encoded in an LCM key `a|b|c|0|0|tz|contactid`, when it is a known one."""
    parts = str(lcm_key).split("|")
    if len(parts) >= 6 and is_whole_number(parts[5].strip()):
        return _BY_INDEX.get(int(parts[5]))
    return None


def time_zone_by_index(index: int) -> LcmTimeZone | None:
    return _BY_INDEX.get(index)
