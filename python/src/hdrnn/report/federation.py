"""The report of federated sessions (hdrnn-run fed, docs/federated.md): accuracy by
round (figure), each round's cost, each client's cost, how long and how many bytes
the federation took to reach a target accuracy, and which implementation got there
soonest and cheapest. Times are the server's monotonic clock (a round: send to
evaluated); bytes are the weights' bytes both ways (Flower's framing not counted)."""

from __future__ import annotations

from .load import Results
from .stats import median
from .tables import esc, table

DEFAULT_TARGET = 0.88  # make bench-fed's target, where a session names none


def sessions(results: list[Results]) -> list[Results]:
    return [r for r in results if r.federation]


def name(res: Results) -> str:
    s = res.federation["settings"]
    return f"{s.get('impl')} {s.get('hidden')} ({res.path.name})"


def target_of(res: Results) -> float:
    t = res.federation["settings"].get("target-accuracy")
    return float(t) if isinstance(t, (int, float)) and 0 < t <= 1 else DEFAULT_TARGET


def to_target(res: Results) -> dict | None:
    """{round, wall_s, bytes, client_train_s} up to the first round at the target
    accuracy, or None when no round reached it."""
    wall = sent = train = 0.0
    for r in res.federation["rounds"]:
        wall += r.get("wall_s") or 0.0
        sent += (r.get("bytes_sent") or 0) + (r.get("bytes_received") or 0)
        train += sum(c.get("train_s") or 0.0 for c in r.get("clients", [])
                     if c.get("status") == "ok")
        if (r.get("accuracy") or 0.0) >= target_of(res):
            return {"round": r["round"], "wall_s": wall, "bytes": sent, "client_train_s": train}
    return None


def peak_client_rss(res: Results) -> int | None:
    peaks = [c["max_rss_kib"] for r in res.federation["rounds"] for c in r.get("clients", [])
             if c.get("status") == "ok" and isinstance(c.get("max_rss_kib"), int)]
    return max(peaks) if peaks else None


def rounds_table(res: Results) -> str:
    rows = []
    for r in res.federation["rounds"]:
        clients = r.get("clients", [])
        ok = sum(c.get("status") == "ok" for c in clients)
        trouble = ", ".join(f"{c.get('status')} {c.get('node_id')}" for c in clients
                            if c.get("status") != "ok")
        rows.append([r["round"], f"{(r.get('accuracy') or 0) * 100:.2f}",
                     f"{r.get('cost', 0):.4f}", f"{ok}/{r.get('sampled', len(clients))}",
                     f"{r.get('wall_s', 0):.2f}", f"{r.get('overhead_s', 0):.2f}",
                     f"{(r.get('bytes_sent') or 0) / 1e3:.1f}",
                     f"{(r.get('bytes_received') or 0) / 1e3:.1f}", esc(trouble) or "-"])
    return table(["round", "accuracy %", "cost", "clients ok", "wall s",
                  "Flower overhead s", "kB sent", "kB received", "not averaged"], rows)


def clients_table(res: Results) -> str:
    per: dict[str, list[dict]] = {}
    for r in res.federation["rounds"]:
        for c in r.get("clients", []):
            per.setdefault(str(c.get("client", c.get("node_id"))), []).append(c)
    rows = []
    for client, cs in sorted(per.items()):
        ok = [c for c in cs if c.get("status") == "ok"]
        rows.append([esc(client), f"{len(ok)}/{len(cs)}",
                     max((c.get("examples") or 0 for c in ok), default="-"),
                     f"{median([c['train_s'] for c in ok]):.3f}" if ok else "-",
                     f"{max(c['max_rss_kib'] for c in ok) / 1024:.1f}" if ok else "-",
                     f"{sum(c['bytes_sent'] + c['bytes_received'] for c in ok) / 1e3:.1f}"
                     if ok else "-"])
    return table(["client", "rounds ok", "examples", "train s, median",
                  "trainer peak RSS MiB", "kB both ways"], rows)


def verdict(results: list[Results]) -> str:
    fed = sessions(results)
    lines = []
    for res in fed:
        reached, f = to_target(res), res.federation
        best = f.get("best") or {}
        if reached:
            lines.append(f"- **{esc(name(res))}** reached {target_of(res) * 100:.0f} % in "
                         f"round {reached['round']}: {reached['wall_s']:.1f} s, "
                         f"{reached['bytes'] / 1e6:.2f} MB of weights, "
                         f"{reached['client_train_s']:.2f} s of client training.")
        else:
            lines.append(f"- **{esc(name(res))}** did not reach {target_of(res) * 100:.0f} % "
                         f"in {len(f['rounds'])} rounds (best "
                         f"{(best.get('accuracy') or 0) * 100:.2f} %).")
    got = [(res, to_target(res)) for res in fed]
    got = [(res, t) for res, t in got if t]
    if len(got) > 1:
        soonest = min(got, key=lambda x: x[1]["wall_s"])
        cheapest = min(got, key=lambda x: (x[1]["client_train_s"], peak_client_rss(x[0]) or 0))
        lines.append(f"- Soonest to the target: **{esc(name(soonest[0]))}**; cheapest in "
                     f"client training time: **{esc(name(cheapest[0]))}** (server's clock; "
                     "one run each: no interval).")
    return "\n".join(lines) + "\n"


def section(results: list[Results]) -> list[str]:
    fed = sessions(results)
    if not fed:
        return []
    md = ["## Federated training\n", verdict(results)]
    for res in fed:
        f = res.federation
        stopped = f.get("stopped") or "after its rounds"
        md += [f"### {esc(name(res))}\n",
               f"Partition {esc(f['settings'].get('partition', '-'))}, "
               f"{esc(f['settings'].get('local-epochs', '-'))} local epoch(s) a round, "
               f"initial accuracy {(f.get('initial') or {}).get('accuracy', 0) * 100:.2f} %, "
               f"stopped: {esc(stopped)}; restarts: {len(f.get('restarts') or [])}.\n",
               rounds_table(res), "Per client:\n", clients_table(res)]
    return md
