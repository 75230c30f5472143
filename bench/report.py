"""bench/results.json -> bench/report.md + bench/*.png (matplotlib, Agg).

Every figure is shown for stock and ours with the ratio ours ÷ stock. If README.md
(repo root) holds the markers ``<!-- bench:start -->`` and ``<!-- bench:end -->``, the
summary between them is replaced with the latest figures and the machine.
"""

import json
from typing import Dict, List

from bench.paths import BENCH, REPORT, RESULTS_JSON, ROOT
from bench.targets import VARIETIES, _get, _num, _ratio, _table, capacity_note, targets

PNG = {
    "latency": "latency.png",
    "throughput": "throughput.png",
    "long": "long_conversation.png",
    "accuracy": "accuracy.png",
    "scale": "scaleout.png",
}
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


# --- plots ------------------------------------------------------------------------------------
def plots(r: dict) -> Dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: Dict[str, str] = {}
    st, ou = _get(r, "systems", "stock") or {}, _get(r, "systems", "ours") or {}
    colors = {"stock": "#999999", "ours": "#1f77b4"}

    # latency percentiles per concurrency
    chans = [c for c in ("rest", "socketio") if _get(st, "load", c) or _get(ou, "load", c)]
    if chans:
        fig, axes = plt.subplots(1, len(chans), figsize=(6 * len(chans), 4), squeeze=False)
        for ax, ch in zip(axes[0], chans, strict=True):
            concs = sorted({int(c) for s in (st, ou) for c in (_get(s, "load", ch) or {})})
            width = 0.13
            for si, (name, sres) in enumerate((("stock", st), ("ours", ou))):
                for pi, (pk, alpha) in enumerate(
                    (("p50_ms", 1.0), ("p95_ms", 0.7), ("p99_ms", 0.45))
                ):
                    xs, ys = [], []
                    for i, c in enumerate(concs):
                        v = _get(sres, "load", ch, str(c), pk)
                        if v:
                            xs.append(i + (si * 3 + pi - 2.5) * width)
                            ys.append(v)
                    ax.bar(
                        xs, ys, width, color=colors[name], alpha=alpha, label=f"{name} {pk[:-3]}"
                    )
            ax.set_xticks(range(len(concs)))
            ax.set_xticklabels([f"{c} customers" for c in concs])
            ax.set_yscale("log")
            ax.set_ylabel("reply latency, ms (log)")
            ax.set_title(f"Reply latency p50/p95/p99 — {ch}")
            ax.legend(fontsize=7, ncol=2)
            ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(BENCH / PNG["latency"], dpi=110)
        plt.close(fig)
        made["latency"] = PNG["latency"]

        fig, ax = plt.subplots(figsize=(7, 4))
        for name, sres in (("stock", st), ("ours", ou)):
            for ch, ls in (("rest", "-"), ("socketio", "--")):
                pts = sorted(
                    (int(c), s.get("replies_per_s"))
                    for c, s in (_get(sres, "load", ch) or {}).items()
                )
                if pts:
                    ax.plot(
                        [p[0] for p in pts],
                        [p[1] for p in pts],
                        ls,
                        marker="o",
                        color=colors[name],
                        label=f"{name} {ch}",
                    )
        ax.set_xscale("log")
        ax.set_xlabel("concurrent customers")
        ax.set_ylabel("replies per second")
        ax.set_title("Throughput (closed loop, no think time)")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(BENCH / PNG["throughput"], dpi=110)
        plt.close(fig)
        made["throughput"] = PNG["throughput"]

    if _get(st, "long") or _get(ou, "long"):
        fig, ax = plt.subplots(figsize=(8, 4))
        for name, sres in (("stock", st), ("ours", ou)):
            pt = _get(sres, "long", "per_turn_ms")
            if pt:
                ax.plot(range(1, len(pt) + 1), pt, color=colors[name], label=name, lw=1.2)
        n = max(len(_get(s, "long", "per_turn_ms") or []) for s in (st, ou))
        ax.axvspan(0.5, 10.5, color="green", alpha=0.08)
        if n >= 20:
            ax.axvspan(n - 9.5, n + 0.5, color="red", alpha=0.08)
        ax.set_xlabel("turn in one conversation")
        ax.set_ylabel("reply latency, ms (median of repeats)")
        ax.set_title("Long conversation: latency per turn (1 customer, REST)")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(BENCH / PNG["long"], dpi=110)
        plt.close(fig)
        made["long"] = PNG["long"]

    if _get(st, "accuracy") or _get(ou, "accuracy"):
        metrics = (
            ("intent_accuracy", "intent acc."),
            ("macro_f1", "macro-F1"),
            ("faq_key_accuracy", "FAQ key acc."),
            ("oos_detected", "OOS detected"),
        )
        fig, axes = plt.subplots(1, len(metrics), figsize=(14, 3.6), sharey=True)
        for ax, (mk, title) in zip(axes, metrics, strict=True):
            groups = list(VARIETIES) + ["all"]
            for si, (name, sres) in enumerate((("stock", st), ("ours", ou))):
                ys = [(_get(sres, "accuracy", g, mk) or 0) * 100 for g in groups]
                ax.bar(
                    [i + (si - 0.5) * 0.38 for i in range(len(groups))],
                    ys,
                    0.38,
                    color=colors[name],
                    label=name,
                )
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels(groups)
            ax.set_title(title)
            ax.set_ylim(0, 100)
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("% of held-out messages")
        axes[0].legend()
        fig.tight_layout()
        fig.savefig(BENCH / PNG["accuracy"], dpi=110)
        plt.close(fig)
        made["accuracy"] = PNG["accuracy"]

    procs = _get(r, "scale", "processes") or {}
    if procs:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        keys = sorted(
            {(ch, int(c)) for p in procs.values() for ch, d in p.get("load", {}).items() for c in d}
        )
        for pi, (n, _result) in enumerate(sorted(procs.items())):
            for ax, mk in zip(axes, ("replies_per_s", "p95_ms"), strict=True):
                ys = [_get(procs, n, "load", ch, str(c), mk) or 0 for ch, c in keys]
                ax.bar(
                    [i + (pi - 0.5) * 0.38 for i in range(len(keys))],
                    ys,
                    0.38,
                    label=f"{n} Rasa process{'es' if n != '1' else ''}",
                    color=["#9ecae1", "#08519c"][pi % 2],
                )
        for ax, t in zip(axes, ("replies per second", "p95 latency, ms"), strict=True):
            ax.set_xticks(range(len(keys)))
            ax.set_xticklabels([f"{ch} x{c}" for ch, c in keys])
            ax.set_title(f"Scale-out (ours, PostgreSQL + Redis): {t}")
            ax.grid(axis="y", alpha=0.3)
            ax.legend()
        fig.tight_layout()
        fig.savefig(BENCH / PNG["scale"], dpi=110)
        plt.close(fig)
        made["scale"] = PNG["scale"]
    return made


# --- markdown ----------------------------------------------------------------------------------
def _machine_line(m: dict) -> str:
    return (
        f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('ram_gb', '?')} GB RAM, "
        f"{m.get('os', '?')}, Python {m.get('python', '?')}, Rasa {m.get('rasa', '?')}"
    )


def training_steps(s: dict, o: dict) -> str:
    """Seconds of each training step of ours (and stock), full and after one example."""
    names = list(
        dict.fromkeys(
            list(_get(o, "full", "steps_s") or {}) + list(_get(s, "full", "steps_s") or {})
        )
    )
    if not names:
        return ""
    rows = []
    for label, key in (
        ("before the components (read, validate, fingerprint)", "before_components_s"),
        ("after the components (pack the model)", "after_components_s"),
    ):
        rows.append(
            [
                label,
                _num(_get(s, "full", key)),
                _num(_get(o, "full", key)),
                _num(_get(o, "plus_one_example", key)),
            ]
        )
    for name in names:
        plus = _get(o, "plus_one_example", "steps_s", name)
        cached = name in (_get(o, "plus_one_example", "restored_from_cache") or [])
        rows.append(
            [
                name,
                _num(_get(s, "full", "steps_s", name)),
                _num(_get(o, "full", "steps_s", name)),
                "from cache" if cached and plus is None else _num(plus),
            ]
        )
    out = [
        "\nSeconds of each step (a graph component trained; Rasa logs when each starts and "
        "finishes):\n",
        _table(["step", "stock, full", "ours, full", "ours, +1 example"], rows),
    ]
    same = o.get("same_model") or {}
    if same:
        out.append(
            f"\nOurs trained a second time from the same data with an empty cache: "
            f"{same.get('different_answers')} of {same.get('messages')} held-out messages "
            f"answered differently (largest difference in the top confidence "
            f"{_num(same.get('max_confidence_diff'), 6)})."
        )
    return "\n".join(out)


def markdown(r: dict, made: Dict[str, str]) -> str:
    m = r.get("machine", {})
    lr = r.get("last_run", {})
    st, ou = _get(r, "systems", "stock") or {}, _get(r, "systems", "ours") or {}
    L: List[str] = []
    L.append("# Seba vs stock Rasa 3.6 — benchmark report\n")
    quick = "`--quick` smoke run: small numbers, read the trend, not the digits"
    L.append(
        f"Generated by `python -m bench` ({quick if lr.get('mode') == 'quick' else 'full run'}), "
        f"run `{lr.get('run', '?')}`, parts: {', '.join(lr.get('parts', []))}, "
        f"took {_num(lr.get('duration_s'))} s. Ratio = ours ÷ stock. "
        "How to run and what each figure means: [bench/README.md](README.md).\n"
    )
    sections = {
        k: _get(r, *k.split("."), "_run") or _get(r, *k.split("."), "run")
        for k in ("systems.stock", "systems.ours", "scale")
    }
    tr = {s: (_get(r, "train", s, "run"), _get(r, "train", s, "mode")) for s in ("stock", "ours")}
    L.append(
        "Where the figures come from (a `--only` run updates only its parts): "
        + "; ".join(
            f"{k}: {v['run'] + ' (' + v['mode'] + ')' if isinstance(v, dict) else (v or '–')}"
            for k, v in sections.items()
        )
        + "; training: "
        + ", ".join(f"{s} {a or '–'} ({b or '–'})" for s, (a, b) in tr.items())
        + ".\n"
    )
    L.append("## Machine\n")
    L.append(
        _table(
            ["", ""],
            [
                ["CPU", m.get("cpu", "?")],
                ["cores", m.get("cores", "?")],
                ["RAM", f"{m.get('ram_gb', '?')} GB"],
                ["OS", f"{m.get('os', '?')} (kernel {m.get('kernel', '?')})"],
                [
                    "Python / Rasa / rasa-sdk / TensorFlow",
                    f"{m.get('python')} / {m.get('rasa')} / "
                    f"{m.get('rasa-sdk')} / {m.get('tensorflow')}",
                ],
                [
                    "Sanic / python-socketio / aiohttp",
                    f"{m.get('sanic')} / {m.get('python-socketio')} / {m.get('aiohttp')}",
                ],
                ["date", m.get("date", "?")],
                [
                    "git",
                    f"{m.get('git', '?')}{' + uncommitted changes' if m.get('git_dirty') else ''}",
                ],
                ["load average at start", m.get("loadavg_at_start", "?")],
            ],
        )
    )
    L.append(
        "\nThe machine is shared (2 cores): other work running at the same time slows both "
        "systems; each load phase records the load average before/after it "
        "(raw files in bench/runs/).\n"
    )

    L.append("## How the two are run\n")
    L.append(
        "- **stock**: `bench/stock/config.yml`, a verbatim copy of the config.yml that `rasa init` "
        "writes for Rasa 3.6.21 (empty pipeline/policies → Rasa's default: WhitespaceTokenizer, "
        "RegexFeaturizer, LexicalSyntacticFeaturizer, 2× CountVectors, DIET 100 epochs, "
        "EntitySynonymMapper, ResponseSelector 100 epochs, FallbackClassifier 0.3; "
        "MemoizationPolicy, "
        "RulePolicy, UnexpecTEDIntentPolicy, TEDPolicy). Served with `rasa run --enable-api`; its "
        "endpoints file has only the action endpoint and the project's NLG (`seba.nlg.SebaNLG`, so "
        "both produce the same reply texts) and otherwise Rasa's defaults: **in-memory tracker "
        "store and lock store**."
    )
    L.append(
        f"- **ours**: the project's `config.yml` at run time, served as `scripts/run.sh` does "
        f"(`python -m seba.server run --enable-api ...`, {ou.get('workers') or 1} Sanic "
        "workers on a Redis lock store, as `make run` starts them) with the project's "
        "`endpoints.yml` (action URL pointed at the benchmark's action server; a SQLite "
        "tracker DB moved under bench/runs/). **ours, 1 worker**: the same on one process, "
        "for the CPU per reply of one process (measured at 10 customers)."
    )
    L.append(
        "- Same training data and domain, same credentials.yml (REST + socket.io), each "
        "system's own action server (stock: `rasa run actions`; ours: `seba.action_server`) "
        "with a fresh copy of the shop database, the same scripted customers. All systems "
        "run at the same time but only one is loaded at a time: each load phase runs on "
        "every system in turn, in an order that alternates from phase to phase, so drifts "
        "in the machine's background load fall on all of them alike.\n"
    )
    for name, sres in (("stock", st), ("ours", ou)):
        cfg = sres.get("config") or {}
        if cfg and not sres.get("model_info"):
            pipe = cfg.get("pipeline")
            pol = cfg.get("policies")
            L.append(
                f"`{name}` config (`{cfg.get('file')}`): pipeline "
                f"{', '.join(pipe) if isinstance(pipe, list) else pipe}; policies "
                f"{', '.join(pol) if isinstance(pol, list) else pol}.  "
            )
        mi = sres.get("model_info") or {}
        if mi:
            L.append(
                f"`{name}` model served (`{sres.get('model')}`, {mi.get('size_mb')} MB, trained "
                f"{mi.get('trained_at', '?')}): {', '.join(mi.get('components', []))}.  "
            )
        if sres.get("error"):
            L.append(f"**{name} did not run to the end:** `{str(sres['error'])[:400]}`  ")
    for name, sres in (("stock", st), ("ours", ou)):
        if sres.get("endpoints"):
            L.append(f"`{name}` endpoints: `{json.dumps(sres['endpoints'], ensure_ascii=False)}`  ")
    L.append("")

    L.append("## Targets\n")
    rows = [
        [t, s, o, ra, g, "✅ met" if met else ("❌ not met" if met is False else "")]
        for t, s, o, ra, g, met in targets(r)
    ]
    L.append(
        _table(["target", "stock", "ours", "ratio", "goal", ""], rows)
        if rows
        else "_no figures yet_"
    )
    if capacity_note(r):
        L.append("\n" + capacity_note(r) + "\n")
    notes = BENCH / "notes.md"
    if notes.exists():
        L.append("\n" + notes.read_text(encoding="utf-8").strip() + "\n")

    # accuracy
    if st.get("accuracy") or ou.get("accuracy"):
        L.append("\n## Accuracy on the held-out split\n")
        L.append(
            "`tests/nlu/heldout/<variety>/*.yml`, asked of each running server via "
            "`POST /model/parse` (FallbackClassifier included). Intent accuracy/macro-F1 count "
            "`faq/<key>` as `faq`; FAQ key accuracy needs intent `faq` and the right "
            "`faq/<key>` from the ResponseSelector. Out of scope: share of `out_of_scope` messages "
            "ending in `out_of_scope`/`nlu_fallback` (higher is better), and share of in-scope "
            "messages that wrongly do (lower is better).\n"
        )
        metrics = [
            ("intent_accuracy", "intent accuracy", True),
            ("macro_f1", "macro-F1", False),
            ("faq_key_accuracy", "FAQ key accuracy", True),
            ("oos_detected", "out-of-scope detected", True),
            ("inscope_false_oos", "in-scope wrongly out-of-scope", True),
            ("n", "messages", None),
        ]
        rows = []
        for mk, label, pct in metrics:
            for v in list(VARIETIES) + ["all"]:
                s, o = _get(st, "accuracy", v, mk), _get(ou, "accuracy", v, mk)
                if pct is None:
                    rows.append([label, v, _num(s), _num(o), ""])
                elif pct:
                    rows.append([label, v, _num(s, 1, True), _num(o, 1, True), _ratio(o, s)])
                else:
                    rows.append([label, v, _num(s, 3), _num(o, 3), _ratio(o, s)])
        L.append(_table(["metric", "variety", "stock", "ours", "ratio"], rows))
        for name, sres in (("stock", st), ("ours", ou)):
            conf = _get(sres, "accuracy", "top_confusions")
            if conf:
                L.append(
                    f"\nMost frequent confusions, {name} (gold → predicted ×n): "
                    + ", ".join(f"{g}→{p} ×{c}" for g, p, c in conf[:8])
                )
            p50 = _get(sres, "accuracy", "parse_ms_p50")
            if p50 is not None:
                p95 = _get(sres, "accuracy", "parse_ms_p95")
                L.append(f"  \n{name}: `/model/parse` time p50 {p50} ms, p95 {p95} ms.")
        if "accuracy" in made:
            L.append(f"\n![accuracy]({made['accuracy']})\n")

    # load
    if st.get("load") or ou.get("load"):
        L.append("\n## Load: simulated customers\n")
        L.append(
            "Each customer holds a scripted multi-turn conversation (order status with order "
            "number + phone looked up in the shop DB, FAQs, return policy/request, product "
            "questions, small talk, an out-of-scope question; Bangla, English, Banglish; see "
            "`bench/scripts.py`), sends the next message only after the whole reply arrived, then "
            "starts a new conversation with a new sender id. No think time (closed loop). "
            "Latency = send → complete reply. Errors = HTTP errors, time-outs, connection "
            "failures. Lost = socket.io replies that did not arrive within "
            f"{_num(_get(r, 'last_run', 'settings', 'turn_timeout'), 0)} s; extra = socket.io "
            "messages arriving when none was expected (late, duplicate or out of order). "
            "'Differs' = REST turns whose number of bot messages differs from the serial "
            "reference run of the same script (not an error by itself: dialogue state).\n"
        )
        for ch in ("rest", "socketio"):
            concs = sorted({int(c) for s in (st, ou) for c in (_get(s, "load", ch) or {})})
            if not concs:
                continue
            L.append(
                f"\n### {'REST channel' if ch == 'rest' else 'socket.io channel (websocket)'}\n"
            )
            rows = []
            counts = ("replies", "errors", "lost", "extra", "differs_from_reference")
            for c in concs:
                s, o = _get(st, "load", ch, str(c)) or {}, _get(ou, "load", ch, str(c)) or {}
                w = _get(ou, "one_worker", "load", ch, str(c)) or {}
                for key, label, nd in (
                    ("replies_per_s", "replies/s", 1),
                    ("p50_ms", "p50 ms", 0),
                    ("p95_ms", "p95 ms", 0),
                    ("p99_ms", "p99 ms", 0),
                    ("rasa_cpu_ms_per_reply", "Rasa CPU ms per reply", 1),
                    ("actions_cpu_ms_per_reply", "action server CPU ms per reply", 1),
                ):
                    rows.append(
                        [
                            c,
                            label,
                            _num(s.get(key), nd),
                            _num(o.get(key), nd),
                            _ratio(o.get(key), s.get(key)),
                            _num(w.get(key), nd),
                        ]
                    )
                rows.append(
                    [
                        c,
                        "replies / errors / lost / extra / differs",
                        "/".join(_num(s.get(k)) for k in counts),
                        "/".join(_num(o.get(k)) for k in counts),
                        "",
                        "/".join(_num(w.get(k)) for k in counts) if w else "–",
                    ]
                )
            L.append(
                _table(["customers", "figure", "stock", "ours", "ratio", "ours, 1 worker"], rows)
            )
        for k in ("latency", "throughput"):
            if k in made:
                L.append(f"\n![{k}]({made[k]})\n")
        errs = [
            (n, ch, c, e)
            for n, sres in (("stock", st), ("ours", ou))
            for ch, d in (sres.get("load") or {}).items()
            for c, s in d.items()
            for e in s.get("error_samples", [])
        ]
        if errs:
            L.append(
                "\nError samples: "
                + "; ".join(f"{n} {ch}×{c}: `{e[:120]}`" for n, ch, c, e in errs[:8])
            )

    # long conversation
    if st.get("long") or ou.get("long"):
        L.append("\n## Long conversation\n")
        s, o = st.get("long") or {}, ou.get("long") or {}
        L.append(
            f"One customer, one conversation of {o.get('turns') or s.get('turns')} turns "
            "over REST, "
            f"repeated {o.get('repeats') or s.get('repeats')}× with a new sender; median per turn. "
            "Turns 1–10 and 91–100 are the same ten history-independent messages (FAQs, a product "
            "question, small talk); turns 11–90 are whole conversations of the mix.\n"
        )
        L.append(
            _table(
                ["figure", "stock", "ours", "ratio"],
                [
                    [
                        "mean latency turns 1–10, ms",
                        _num(s.get("first10_mean_ms")),
                        _num(o.get("first10_mean_ms")),
                        _ratio(o.get("first10_mean_ms"), s.get("first10_mean_ms")),
                    ],
                    [
                        "mean latency turns 91–100, ms",
                        _num(s.get("last10_mean_ms")),
                        _num(o.get("last10_mean_ms")),
                        _ratio(o.get("last10_mean_ms"), s.get("last10_mean_ms")),
                    ],
                    [
                        "turns 91–100 ÷ turns 1–10",
                        _num(s.get("last_over_first"), 2),
                        _num(o.get("last_over_first"), 2),
                        "",
                    ],
                    ["errors", _num(s.get("errors")), _num(o.get("errors")), ""],
                ],
            )
        )
        if "long" in made:
            L.append(f"\n![long conversation]({made['long']})\n")

    # training
    trn = r.get("train") or {}
    if trn:
        L.append("\n## Training time\n")
        L.append(
            "`rasa train` of a copy of the project (domain + data/) with each config; full = empty "
            "caches (Rasa's and ours of parsed files; the e5 embeddings' is kept); +1 example = "
            "one new NLU example added, retrained with the caches the full training left. Ours "
            "then adds one more and trains it as the console's retrain does: its checks step "
            "runs `rasa data validate --fail-on-warnings` (timed apart), so its training skips "
            "Rasa's second validation. Wall time on the 2 cores, CPU = user+sys.\n"
        )
        s, o = trn.get("stock") or {}, trn.get("ours") or {}
        L.append(
            _table(
                ["figure", "stock", "ours", "ratio"],
                [
                    [
                        "full training, s",
                        _num(_get(s, "full", "wall_s")),
                        _num(_get(o, "full", "wall_s")),
                        _ratio(_get(o, "full", "wall_s"), _get(s, "full", "wall_s")),
                    ],
                    [
                        "full training CPU, s",
                        _num(_get(s, "full", "cpu_s")),
                        _num(_get(o, "full", "cpu_s")),
                        _ratio(_get(o, "full", "cpu_s"), _get(s, "full", "cpu_s")),
                    ],
                    [
                        "after adding one example, s",
                        _num(_get(s, "plus_one_example", "wall_s")),
                        _num(_get(o, "plus_one_example", "wall_s")),
                        _ratio(
                            _get(o, "plus_one_example", "wall_s"),
                            _get(s, "plus_one_example", "wall_s"),
                        ),
                    ],
                    [
                        "ours, the console's retrain after one more example: training "
                        "(`--skip-validation`), s",
                        "",
                        _num(_get(o, "retrain", "wall_s")),
                        "",
                    ],
                    [
                        "… and its checks step's `rasa data validate --fail-on-warnings`, s",
                        "",
                        _num(_get(o, "retrain_validation", "wall_s")),
                        "",
                    ],
                    [
                        "model size, MB",
                        _num(_get(s, "full", "model_mb")),
                        _num(_get(o, "full", "model_mb")),
                        _ratio(_get(o, "full", "model_mb"), _get(s, "full", "model_mb")),
                    ],
                    [
                        "load average before",
                        _num(s.get("loadavg_before")),
                        _num(o.get("loadavg_before")),
                        "",
                    ],
                ],
            )
        )
        L.append(training_steps(s, o))

    # startup and memory
    if st.get("startup_s") or ou.get("startup_s"):
        L.append("\n## Start-up and memory\n")
        L.append(
            "Start-up = from starting the Rasa server process to its first reply over REST "
            "(model loading included). RSS = VmRSS of the process and its children "
            "(/proc/<pid>/status); peak = highest sample (every 0.5 s) during the load phases.\n"
        )
        peak = {}
        for name, sres in (("stock", st), ("ours", ou)):
            pk: Dict[str, float] = {}
            for ch in (sres.get("load") or {}).values():
                for s in ch.values():
                    for k, v in (s.get("peak_rss_mb") or {}).items():
                        pk[k] = max(pk.get(k, 0), v)
            peak[name] = pk
        rows = [
            ["start-up, s (each start)", _num(st.get("startup_s")), _num(ou.get("startup_s")), ""],
            [
                "start-up, s (median)",
                _num(st.get("startup_median_s")),
                _num(ou.get("startup_median_s")),
                _ratio(ou.get("startup_median_s"), st.get("startup_median_s")),
            ],
        ]
        for k, label in (("rasa", "Rasa server"), ("actions", "action server")):
            for fig, getter in (
                ("idle after start", lambda s, k=k: _get(s, "rss_idle_mb", k)),
                ("peak under load", lambda s, n=None: None),
                ("after all load", lambda s, k=k: _get(s, "rss_after_mb", k)),
            ):
                if fig == "peak under load":
                    a, b = peak["stock"].get(k), peak["ours"].get(k)
                else:
                    a, b = getter(st), getter(ou)
                rows.append([f"{label} RSS {fig}, MB", _num(a), _num(b), _ratio(b, a)])
        sa, oa = st.get("actions_cold") or {}, ou.get("actions_cold") or {}
        for key, label, nd in (
            ("ready_s", "action server: start → healthy, s", 2),
            (
                "first_product_answer_s",
                "action server: first product question right after it is healthy, s",
                3,
            ),
            ("rss_ready_mb", "action server RSS when healthy, MB", 1),
            ("hwm_mb", "action server peak RSS after that question, MB", 1),
        ):
            rows.append(
                [
                    label,
                    _num(sa.get(key), nd),
                    _num(oa.get(key), nd),
                    _ratio(oa.get(key), sa.get(key)),
                ]
            )
        rows.append(
            [
                "first product question after the Rasa server's start-up (through Rasa), s",
                _num(st.get("first_product_question_s"), 3),
                _num(ou.get("first_product_question_s"), 3),
                _ratio(ou.get("first_product_question_s"), st.get("first_product_question_s")),
            ]
        )
        L.append(_table(["figure", "stock", "ours", "ratio"], rows))

    # scale-out
    sc = r.get("scale") or {}
    if sc:
        L.append("\n## Scale-out (ours)\n")
        if sc.get("error"):
            L.append(f"Scale-out did not run: `{sc['error'][:500]}`\n")
        else:
            L.append(
                "The same load against 1 and 2 Rasa server processes (ours) sharing a PostgreSQL "
                "tracker store and a Redis lock store (Debian's packages, throwaway instances "
                "started by the benchmark on 127.0.0.1), behind `bench/lb.py` (a TCP round-robin "
                "balancer; websockets stay on the process that accepted them). One action server. "
                "Everything — servers, PostgreSQL, Redis, the balancer and the load generator — "
                "shares the same 2 cores, so this shows the software's scaling, not a second "
                "machine's.\n"
            )
            procs = sc.get("processes") or {}
            keys = sorted(
                {
                    (ch, int(c))
                    for p in procs.values()
                    for ch, d in p.get("load", {}).items()
                    for c in d
                }
            )
            rows = []
            for ch, c in keys:
                one = _get(procs, "1", "load", ch, str(c)) or {}
                two = _get(procs, "2", "load", ch, str(c)) or {}
                rows.append(
                    [
                        f"{ch} ×{c}",
                        _num(one.get("replies_per_s")),
                        _num(two.get("replies_per_s")),
                        _ratio(two.get("replies_per_s"), one.get("replies_per_s")),
                        f"{_num(one.get('p95_ms'), 0)} / {_num(two.get('p95_ms'), 0)}",
                        f"{_num(one.get('errors'))}+{_num(one.get('lost'))}+"
                        f"{_num(one.get('extra'))} / "
                        f"{_num(two.get('errors'))}+{_num(two.get('lost'))}+"
                        f"{_num(two.get('extra'))}",
                    ]
                )
            L.append(
                _table(
                    [
                        "load",
                        "replies/s, 1 process",
                        "replies/s, 2 processes",
                        "scaling 2÷1",
                        "p95 ms 1 / 2",
                        "errors+lost+extra 1 / 2",
                    ],
                    rows,
                )
            )
            cpu_rows = []
            for ch, c in keys:
                for n in ("1", "2"):
                    d = _get(procs, n, "load", ch, str(c)) or {}
                    cpu = d.get("cpu_s") or {}
                    wall = d.get("elapsed_s") or 0
                    cells = ", ".join(
                        f"{k} {v / wall:.0%}"
                        for k, v in sorted(cpu.items())
                        if v is not None and wall
                    )
                    busy = sum(v for v in cpu.values() if v is not None) / wall if wall else None
                    cpu_rows.append([f"{ch} ×{c}", n, cells or "–", _num(busy, 2)])
            L.append(
                "\nEach process's CPU during the phase (share of one core), and all of them "
                "together in cores: where that nears the machine's cores, the second process "
                "has no core of its own left and the ratio above is the machine's ceiling.\n"
            )
            L.append(_table(["load", "Rasa processes", "CPU per process", "cores busy"], cpu_rows))
            ups = {n: _get(p, "startup_s") for n, p in procs.items()}
            L.append(f"\nStart-up of each process (s): {json.dumps(ups)}.")
            if "scale" in made:
                L.append(f"\n![scale-out]({made['scale']})\n")

    # reference transcripts (abridged)
    if _get(st, "reference", "transcripts") or _get(ou, "reference", "transcripts"):
        L.append(
            "\n## Appendix: what the customers heard "
            "(serial reference run, first reply message per turn, abridged)\n"
        )
        ts, to = (
            _get(st, "reference", "transcripts") or {},
            _get(ou, "reference", "transcripts") or {},
        )
        for name in list(dict.fromkeys(list(to) + list(ts)))[:6]:
            L.append(f"\n<details><summary>{name}</summary>\n")
            rows = []
            stock_turns = ts.get(name, []) or [[]] * len(to.get(name, []))
            # Not strict: a conversation cut short on one system still shows its common turns.
            for i, (a, b) in enumerate(zip(stock_turns, to.get(name, []), strict=False)):
                rows.append(
                    [
                        i + 1,
                        (a[0] if a else "∅")[:90].replace("|", "/").replace("\n", " "),
                        (b[0] if b else "∅")[:90].replace("|", "/").replace("\n", " "),
                    ]
                )
            L.append(_table(["turn", "stock", "ours"], rows))
            L.append("\n</details>")
    L.append("")
    return "\n".join(L)


def readme_summary(r: dict) -> str:
    m = r.get("machine", {})
    lr = r.get("last_run", {})
    rows = [
        [t, s, o, ra, g, "met" if met else ("not met" if met is False else "–")]
        for t, s, o, ra, g, met in targets(r)
    ]
    return "\n".join(
        [
            f"Latest benchmark ({lr.get('mode', '?')} run {lr.get('run', '?')}, "
            f"{m.get('date', '?')}; parts: {', '.join(lr.get('parts', [])) or '?'}; the "
            "report says which run each figure comes from) on "
            f"{_machine_line(m)}. Full report: [bench/report.md](bench/report.md).\n",
            _table(["target", "stock Rasa", "Seba", "ratio", "goal", ""], rows),
            ("\n" + capacity_note(r)) if capacity_note(r) else "",
        ]
    )


def update_readme(r: dict) -> bool:
    readme = ROOT / "README.md"
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(
        head + README_START + "\n" + readme_summary(r) + "\n" + README_END + tail, encoding="utf-8"
    )
    return True


def write() -> None:
    if not RESULTS_JSON.exists():
        print("no bench/results.json yet: run python -m bench first")
        return
    r = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    made = plots(r)
    REPORT.write_text(markdown(r, made), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)} and {', '.join(made.values()) or 'no plots'}")
    if update_readme(r):
        print("updated the benchmark summary in README.md")
