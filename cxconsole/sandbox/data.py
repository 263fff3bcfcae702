"""The seeded, deterministic data the sandbox serves: tickets, segments, columns, campaigns."""

# ruff: noqa: RUF001 -- the comments hold non-ASCII punctuation on purpose

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    name: str
    code: str

    def to_json(self) -> dict[str, Any]:
        # The public API names the code businessUnitCode; older pages say segmentCode.
        return {
            "segmentID": self.id,
            "segmentName": self.name,
            "businessUnitCode": self.code,
            "segmentCode": self.code,
        }


SEGMENTS: tuple[Segment, ...] = (
    Segment(101, "Retail North", "RN"),
    Segment(102, "Retail South", "RS"),
    Segment(103, "Online Store", "WEB"),
    Segment(104, "Call Centre", "CC"),
    Segment(105, "Field Service", "FS"),
    Segment(106, "Corporate Accounts", "CORP"),
)

# Inferred from QuestionPro's app: the API itself only takes the integer.
TICKET_STATUSES: dict[int, str] = {0: "New", 1: "Open", 2: "Escalated", 3: "Resolved"}


@dataclass(frozen=True, slots=True)
class Ticket:
    """One detractor ticket; segment and status filter it but are not in the reply (doc 004)."""

    ticket_id: int
    response_id: int
    segment_id: int
    status: int
    email: str
    phone: str
    rating: str
    comment: str
    timestamp: datetime
    timelimit: int

    def to_json(self) -> dict[str, Any]:
        # Field names, order and formats exactly as doc 004's example.
        return {
            "emailAddress": self.email,
            "phoneNumber": self.phone,
            "rating": self.rating,
            "comment": self.comment,
            "ticketID": self.ticket_id,
            "responseID": self.response_id,
            "timestamp": format_qp_timestamp(self.timestamp),
            "timelimit": self.timelimit,
        }


def format_qp_timestamp(moment: datetime) -> str:
    """QuestionPro's ``2020-01-14T12:51:48.000+0000`` (UTC, milliseconds, no colon)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


_FIRST = (
    "Olivia", "Jack", "Amelia", "Noah", "Charlotte", "William", "Isla", "Oliver", "Mia", "Leo",
    "Grace", "Lucas", "Zoe", "Thomas", "Ruby", "Henry", "Chloe", "James", "Priya", "Wei",
    "Aisha", "Mateo", "Sofia", "Liam", "Hannah", "Kenji", "Fatima", "Daniel", "Emma", "Arjun",
)  # fmt: skip
_LAST = (
    "Smith", "Nguyen", "Williams", "Brown", "Jones", "Taylor", "Wilson", "Martin", "Anderson",
    "Lee", "Patel", "Walker", "White", "Harris", "Kelly", "Chen", "Singh", "Murphy", "Garcia",
    "Rossi", "Muller", "Kowalski", "OBrien", "Tanaka", "Khan", "Cohen", "Larsen", "Dubois",
)  # fmt: skip
_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.com.au", "bigpond.com", "icloud.com",
    "example.org", "mail.example.com", "acme-corp.example",
)  # fmt: skip

_SHORT_COMMENTS = (
    "Staff was rude",
    "The food service was poor",
    "Waited 40 minutes on hold and then got cut off.",
    "Delivery arrived two days late and the box was damaged.",
    "Nobody called me back as promised.",
    "Too expensive for what you get.",
    "The app keeps logging me out.",
    "Checkout queue was huge, only one register open.",
    "Technician didn't show up. No apology.",
    "Billing error AGAIN. Third month in a row!",
    "Product broke after a week",
    "Store was dirty and the shelves were half empty.",
    "Website said in stock, store said no.",
    "I was charged twice for the same order #48213.",
    "Rep was polite but couldn't fix anything",
    "meh",
    "Refund still not processed after 3 weeks",
    'Was told "it\'s company policy" five times. Not helpful.',
    "Parking, seating, coffee: all bad, all slow.",
    "Would not recommend to a friend.",
    "Installer left a mess, cables everywhere",
    "Chat bot is useless, needed a human.",
    "Prices went up 20% with no notice.",
    "Order cancelled without telling me.\nFound out from my bank.",
)

_NON_ASCII_COMMENTS = (
    "Le personnel était désagréable et la file d'attente interminable.",
    "Die Lieferung kam zwei Tage zu spät – sehr ärgerlich.",
    "El técnico llegó tarde y no traía las piezas.",
    "待ち時間が長すぎました。二度と利用しません。",
    "Obsługa była niemiła, a kasa samoobsługowa nie działała.",
    "Ζήτησα επιστροφή χρημάτων και δεν πήρα ποτέ απάντηση.",
    "Jättelång kö i kassan och ingen personal på golvet 😠",
    "Очень долго ждал ответа оператора.",
    "Kundeservice lovede at ringe tilbage – det skete aldrig.",
    "Café froid, croissant rassis… 0/10 ☕",
    "Zoë at the front desk ignored us for 15 min — disappointing.",
    "服务态度很差，等了一个小时。",
)

_LONG_SENTENCES = (
    "I have been a customer for more than eight years and this is the worst experience so far.",
    "I called the support line on Monday, was transferred three times, and each person asked "
    "me to repeat my account number and the whole story from the beginning.",
    "The replacement part was supposed to arrive within 48 hours but it took eleven days, and "
    "nobody bothered to tell me about the delay until I chased it myself.",
    "When the technician finally came he said the original installation had been done wrong, "
    "which means I paid for a job that was never finished properly.",
    "Your website shows one price, the store shows another, and the invoice shows a third.",
    "I asked for a manager and was told none was available, even though I could see one "
    "standing at the back of the shop talking on the phone.",
    "The staff seemed overwhelmed and under-trained; it is not their fault, it is management's.",
    "If this is not sorted out by the end of the month I will cancel and move to a competitor.",
    "To be fair the young woman at the counter tried her best, but the system kept crashing.",
    "I still have not received the refund of $249.95 that was confirmed by e-mail in writing.",
)


def _long_comment(rng: random.Random) -> str:
    # Join sentences until the comment passes 300 characters, as long complaints do.
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < 320:
        parts.append(rng.choice(_LONG_SENTENCES))
    return " ".join(parts)


def _comment(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        return _long_comment(rng)
    if roll < 0.27:
        return rng.choice(_NON_ASCII_COMMENTS)
    return rng.choice(_SHORT_COMMENTS)


def _phone(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return ""  # many tickets have no phone, like doc 004's example
    if roll < 0.8:
        return "+614" + "".join(rng.choice("0123456789") for _ in range(8))
    if roll < 0.9:
        return "+447" + "".join(rng.choice("0123456789") for _ in range(9))
    return "+1" + str(rng.randint(201, 989)) + "".join(rng.choice("0123456789") for _ in range(7))


def _status(rng: random.Random, age_s: float) -> int:
    # Fresh tickets are mostly New/Open; older ones are often Resolved.
    if age_s < 24 * 3600:
        return rng.choices((0, 1, 2, 3), weights=(60, 28, 10, 2))[0]
    return rng.choices((0, 1, 2, 3), weights=(15, 30, 15, 40))[0]


def _ages(rng: random.Random, count: int) -> list[float]:
    """Seconds before now: about a third still inside a 24-72 h limit, the rest overdue."""
    ages: list[float] = []
    for _ in range(count):
        roll = rng.random()
        if ages and roll < 0.06:
            ages.append(ages[-1])  # same second as another ticket: exercises tie ordering
        elif roll < 0.25:
            ages.append(float(rng.randint(60, 24 * 3600)))
        elif roll < 0.40:
            ages.append(float(rng.randint(24 * 3600, 72 * 3600)))
        else:
            ages.append(float(rng.randint(72 * 3600, 60 * 24 * 3600)))
    return ages


def make_tickets(count: int, seed: int, now: datetime) -> tuple[Ticket, ...]:
    """``count`` tickets drawn from ``seed``, timestamped relative to ``now``, newest first."""
    # A string seed keeps the ticket stream independent of the fault stream seeded with `seed`.
    rng = random.Random(f"cxconsole-sandbox-tickets:{seed}")
    ages = _ages(rng, count)
    # Ticket ids grow with creation time (oldest gets the smallest id), as in doc 004 (413, 414).
    order = sorted(range(count), key=lambda i: -ages[i])
    tickets: list[Ticket] = []
    for rank, i in enumerate(order):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(_DOMAINS)}".lower()
        tickets.append(
            Ticket(
                ticket_id=4001 + rank,
                response_id=120000 + rank * 3 + rng.randint(0, 2),
                segment_id=rng.choices(SEGMENTS, weights=(22, 18, 25, 20, 10, 5))[0].id,
                status=_status(rng, ages[i]),
                email=email,
                phone=_phone(rng),
                rating=str(rng.choices(range(7), weights=(6, 4, 5, 7, 9, 14, 16))[0]),
                comment=_comment(rng),
                timestamp=now - timedelta(seconds=ages[i]),
                timelimit=rng.choice((24, 48, 72)),
            )
        )
    return tuple(sorted(tickets, key=ticket_order))


def ticket_order(ticket: Ticket) -> tuple[float, int]:
    """Newest timestamp first; tickets of the same second by ascending ticket id."""
    return (-ticket.timestamp.timestamp(), ticket.ticket_id)


# Expoints: doc 001's example columns, with 14 and 20 made optional so a simple file (e-mail,
# names, business unit, product) imports, plus an archived column a client must skip.
EXPOINTS_COLUMNS: tuple[dict[str, Any], ...] = (
    {"Id": 14, "Required": False, "Archived": False, "Name": "Gender_customer",
     "DisplayName": "Gender customer"},
    {"Id": 15, "Required": True, "Archived": False, "Name": "First_name_customer",
     "DisplayName": "First name customer"},
    {"Id": 16, "Required": True, "Archived": False, "Name": "Family_name_customer",
     "DisplayName": "Family_name_customer"},
    {"Id": 18, "Required": True, "Archived": False, "Name": "Business Unit", "DisplayName": "BU"},
    {"Id": 19, "Required": True, "Archived": False, "Name": "ProductNumber",
     "DisplayName": "Product"},
    {"Id": 20, "Required": False, "Archived": False, "Name": "EmployeeId",
     "DisplayName": "EmployeeId"},
    {"Id": 21, "Required": False, "Archived": True, "Name": "Store_code_old",
     "DisplayName": "Store code (old)"},
)  # fmt: skip

# Webex Campaign datastores the sandbox knows (doc 002's example uses 1466 with feed 1499).
WEBEX_DATASTORES: dict[str, str] = {"1466": "Customers", "2001": "Detractor follow-up"}

# Noojee: templates -> campaigns -> allocations, ids consistent across the three pickers.
NOOJEE_TEMPLATES: dict[int, str] = {11: "Outbound Sales", 12: "Customer Care"}
NOOJEE_CAMPAIGNS: dict[int, tuple[int, str]] = {
    21: (11, "Spring Promo 2025"),
    22: (11, "Win-back Q3"),
    23: (12, "Detractor Callbacks"),
}
NOOJEE_ALLOCATIONS: dict[int, tuple[int, str]] = {
    31: (21, "Sydney Team"),
    32: (21, "Melbourne Team"),
    33: (22, "All Agents"),
    34: (23, "Care Team A"),
    35: (23, "Care Team B"),
}
