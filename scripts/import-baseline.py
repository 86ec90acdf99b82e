#!/usr/bin/env python3
"""The yardstick for `crm import purchases` (issue 17): a plain Python 3 script, stdlib
only, that reads the same purchases CSV (customer,date,amount[,item|items,name,email,
summary,channel]) and writes one YAML file per customer in the shape crm writes:
`customers/<id>.yaml` gets each of its rows appended to its `interactions:` list, in
one write per customer; a customer without a file gets a new one (`name:`, `email:`,
`interactions:`). Each file is written to a temporary file and renamed over the old
one, as any careful script would; nothing is fsynced, nothing is checked, nothing is
parsed as YAML (the script assumes `interactions:` is the file's last key, as crm's
own files have it).

It is a yardstick, not a feature: scripts/bench.sh times it next to crm on a copy of
the same book, so that "no slower than a plain script" is a measured ratio.

    scripts/import-baseline.py BOOK purchases.csv
"""
import csv
import hashlib
import os
import re
import sys


def slug(text):
    """The id crm makes of a name (`Ada Lovelace` -> `ada-lovelace`), for ASCII names."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


def quoted(text):
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entry(row, customer, line):
    """The lines of one purchase entry, as crm writes them."""
    items = [i for i in re.split(r";", row.get("items") or row.get("item") or "") if i.strip()]
    marker = hashlib.sha256(
        "\x1f".join([customer, row["date"], "purchase", row["amount"], ";".join(items)]).encode()
    ).hexdigest()[:16]
    out = ["  - date: " + row["date"], "    kind: purchase"]
    if row.get("summary"):
        out.append("    summary: " + quoted(row["summary"]))
    out.append("    amount: " + row["amount"])
    if items:
        out.append("    items: [" + ", ".join(quoted(i.strip()) for i in items) + "]")
    if row.get("channel"):
        out.append("    channel: " + quoted(row["channel"]))
    out.append("    import: " + marker + "-1")
    return "\n".join(out) + "\n"


def main():
    book, path = sys.argv[1], sys.argv[2]
    folder = os.path.join(book, "customers")
    by_customer = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items()}
            customer = slug(row["customer"])
            by_customer.setdefault(customer, []).append((line, row))
    os.makedirs(folder, exist_ok=True)
    for customer, rows in sorted(by_customer.items()):
        target = os.path.join(folder, customer + ".yaml")
        try:
            with open(target, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            first = rows[0][1]
            text = "name: " + quoted(first.get("name") or customer) + "\n"
            if first.get("email"):
                text += "email: " + quoted(first["email"]) + "\n"
            text += "interactions:\n"
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join(entry(row, customer, line) for line, row in rows)
        temp = target + ".tmp"
        with open(temp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, target)
    print("imported %d rows for %d customers" % (sum(len(r) for r in by_customer.values()), len(by_customer)))


if __name__ == "__main__":
    main()
