"""Fixed-seed generator of realistic customers in the API's create shape.

Mostly Nigerian individuals (Yoruba, Igbo, Hausa and other names, some accented such as "Ṣadé",
some hyphenated surnames such as "Adebayo-Williams"), some international ones (Ghana, Kenya, the
United Kingdom, the United States) and about 8% businesses. Emails, references, phone numbers,
BVNs and NINs are unique within a file (and across files generated with different `--tag`s);
phone numbers are valid E.164 numbers, identity numbers 11 digits.

    python bench/generate.py --count 1000000 --out data/customers.jsonl
    python bench/generate.py --count 1000 --out data/customers.csv   # CSV from the suffix

The same seed, tag and count always give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

FIELDS = (
    "customer_type",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone_number",
    "country",
    "bvn",
    "nin",
    "date_of_birth",
    "reference",
    "metadata",
)

FIRST_NAMES = (
    "Adebayo Adeola Adewale Ayodele Ayo Babatunde Bolaji Damilola Folake Funmilayo Funke "
    "Ibukun Kayode Kehinde Oluwaseun Seun Olumide Tolulope Taiwo Temitope Tunde Yetunde Ṣadé "
    "Adéwálé Ọlá Fẹ́mi Tọ́pẹ́ Bọ́lá Chidi Chiamaka Chinedu Chioma Ebuka Emeka Ifeanyi Ifeoma Ikenna "
    "Ngozi Nnamdi Obinna Uchenna Adaeze Amaka Chukwuemeka Kelechi Nneka Aisha Abubakar Amina "
    "Bello Fatima Hadiza Ibrahim Musa Sani Usman Yusuf Zainab Halima Aminu Efe Oghenekaro "
    "Ese Tamara Ebiere Ekaette Ubong Ini Idara Mfon Ayomide Precious Blessing Godwin "
    "Gift Samuel David Grace Joy Peace Daniel Esther Michael Sarah John Mary"
).split()

LAST_NAMES = (
    "Adebayo Adeyemi Adeleke Afolabi Ajayi Akinwale Alabi Babalola Balogun Bankole Ogunleye "
    "Ogundipe Okonkwo Okafor Okeke Nwosu Eze Nwachukwu Obi Onyekachi Uchendu Ibe Abdullahi "
    "Aliyu Danjuma Garba Lawal Mohammed Suleiman Umar Yakubu Bassey Effiong Etim Okon Udo "
    "Oyelaran Olúwasẹ́yì Ọládipọ̀ Ṣóbọ̀wálé Àjàyí Olábísí Oladeji Oyewole Fashola Tinubu Obasanjo "
    "Williams Johnson Thompson Coker Davies Macaulay Pinheiro Da-Silva Mensah Boateng Owusu "
    "Kamau Otieno Wanjiru Smith Brown Taylor"
).split()

SURNAME_PARTNERS = "Williams Johnson Thompson Coker Davies Macaulay Pinheiro Cole".split()

COMPANY_WORDS = (
    "Kola Foods Lagos Logistics Eko Agro Naija Tech Zuma Energy Arewa Textiles Niger Delta Oil "
    "Sahel Farms Oyo Cocoa Benin Bronze Jos Tin Kano Leather Calabar Spice Abuja Realty Onitsha "
    "Motors Aba Garments Ibadan Printing Enugu Coal Owerri Pharma Ikeja Digital Lekki Ventures"
).split()
COMPANY_SUFFIXES = ("Ltd", "Limited", "Plc", "Enterprises", "& Sons", "Nigeria Ltd", "Ventures")

EMAIL_DOMAINS = (
    "gmail.com yahoo.com outlook.com hotmail.com icloud.com proton.me mail.ng example.ng "
    "example.com"
).split()

# Mobile prefixes libphonenumber accepts as valid numbers, with the digits that follow.
NG_PREFIXES = (
    "703 706 803 806 810 813 814 816 903 906 913 916 701 708 802 808 812 901 902 904 907 912 "
    "705 805 807 811 815 905 915 809 817 818 908 909"
).split()

INTERNATIONAL = (  # (country, E.164 prefix, digits after it)
    ("GH", "+23324", 7),
    ("GH", "+23354", 7),
    ("KE", "+254712", 6),
    ("KE", "+254722", 6),
    ("GB", "+447400", 6),
    ("GB", "+447834", 6),
    ("US", "+1212555", 4),
    ("US", "+1415555", 4),
)

SEGMENTS = ("retail", "sme", "premium", "student", "diaspora")
BRANCHES = ("Ikeja", "Lekki", "Yaba", "Wuse", "Garki", "GRA", "Trans-Amadi", "Bodija", "Sabon Gari")
CHANNELS = ("app", "web", "ussd", "agent", "branch")


def ascii_fold(text: str) -> str:
    """'Ṣadé' -> 'sade': the email local part stays ASCII."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _permute(n: int, modulus: int, multiplier: int = 2_654_435_761) -> int:
    """A bijection of [0, modulus) (the multiplier is coprime with the moduli used here), so that
    unique counters give unique but unsorted numbers."""
    return (n * multiplier + 12_345) % modulus


def customers(count: int, *, seed: int = 2026, tag: str = "t0") -> Iterator[dict[str, Any]]:
    """`count` customers in the API's create shape, the same for the same arguments."""
    rng = random.Random(f"{seed}:{tag}")
    rand = rng.random
    choice = rng.choice
    randrange = rng.randrange
    tag_digit = sum(tag.encode()) % 10
    folded_first = {name: ascii_fold(name) for name in FIRST_NAMES}
    for i in range(count):
        # 11-digit identity numbers: 1 digit of kind, 1 of the tag, 9 from a permuted counter.
        unique9 = f"{_permute(i, 1_000_000_000):09d}"
        roll = rand()
        if roll < 0.08:
            words = f"{choice(COMPANY_WORDS)} {choice(COMPANY_WORDS)}"
            company = f"{words} {choice(COMPANY_SUFFIXES)}"
            slug = ascii_fold(words)
            row: dict[str, Any] = {
                "customer_type": "business",
                "first_name": None,
                "last_name": None,
                "company_name": company,
                "email": f"finance.{slug}{i}.{tag}@{slug}.example.ng",
                "phone_number": f"+234{NG_PREFIXES[i % len(NG_PREFIXES)]}{unique9[-7:]}",
                "country": "NG",
                "bvn": None,
                "nin": None,
                "date_of_birth": None,
            }
        else:
            first = choice(FIRST_NAMES)
            last = choice(LAST_NAMES)
            if rand() < 0.07:
                last = f"{last}-{choice(SURNAME_PARTNERS)}"
            local = f"{folded_first[first]}.{ascii_fold(last)}{i}"
            if roll < 0.88:
                prefix = NG_PREFIXES[i % len(NG_PREFIXES)]
                phone, country = f"+234{prefix}{unique9[-7:]}", "NG"
            else:
                country, prefix, digits = INTERNATIONAL[i % len(INTERNATIONAL)]
                phone = f"{prefix}{unique9[-digits:]}"
            year = 1950 + randrange(56)
            row = {
                "customer_type": "individual",
                "first_name": first,
                "last_name": last,
                "company_name": None,
                "email": f"{local}.{tag}@{choice(EMAIL_DOMAINS)}",
                "phone_number": phone,
                "country": country,
                "bvn": f"2{tag_digit}{unique9}" if country == "NG" and rand() < 0.6 else None,
                "nin": f"7{tag_digit}{unique9}" if country == "NG" and rand() < 0.35 else None,
                "date_of_birth": (
                    f"{year}-{1 + randrange(12):02d}-{1 + randrange(28):02d}"
                    if rand() < 0.7
                    else None
                ),
            }
        row["reference"] = f"{tag}_cus_{i:08d}"
        if rand() < 0.6:
            metadata: dict[str, Any] = {"segment": choice(SEGMENTS), "channel": choice(CHANNELS)}
            if rand() < 0.3:
                metadata["branch"] = choice(BRANCHES)
            row["metadata"] = metadata
        else:
            row["metadata"] = None
        yield row


def write(path: Path, count: int, *, seed: int = 2026, tag: str = "t0") -> int:
    """Write `count` customers to `path` (CSV if it ends in .csv, else JSON lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = customers(count, seed=seed, tag=tag)
    batch: list[bytes] = []
    with path.open("wb") as out:
        if path.suffix == ".csv":
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(FIELDS)
            for n, row in enumerate(rows, 1):
                metadata = row["metadata"]
                row["metadata"] = orjson.dumps(metadata).decode() if metadata else None
                writer.writerow(["" if row[f] is None else row[f] for f in FIELDS])
                if n % 50_000 == 0:
                    out.write(text.getvalue().encode())
                    text.seek(0)
                    text.truncate()
            out.write(text.getvalue().encode())
        else:
            dumps = orjson.dumps
            for row in rows:
                # Absent rather than null: the shape a client sends.
                batch.append(dumps({k: v for k, v in row.items() if v is not None}))
                if len(batch) >= 50_000:
                    out.write(b"\n".join(batch) + b"\n")
                    batch.clear()
            if batch:
                out.write(b"\n".join(batch) + b"\n")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tag", default="t0", help="makes emails/references unique per tenant")
    parser.add_argument("--out", type=Path, required=True, help=".jsonl or .csv")
    args = parser.parse_args()
    started = time.perf_counter()
    write(args.out, args.count, seed=args.seed, tag=args.tag)
    elapsed = time.perf_counter() - started
    print(f"{args.count} customers -> {args.out} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
