"""``python -m bench`` — Seba against stock Rasa; see bench/README.md.

python -m bench                      full run (~30 min on 2 cores), writes
                                     bench/results.json, bench/report.md, bench/*.png
python -m bench --quick              smoke run: small numbers, reuses trained models
python -m bench --only accuracy      only some parts (train, accuracy, load, long,
                                     startup, scale; comma-separated); the other
                                     parts' figures stay as they were in results.json
python -m bench --report-only        rebuild report.md and plots from results.json
"""

import argparse
import signal
import sys

from bench.runner import PARTS, SYSTEMS, Settings


def parse(argv):
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--quick", action="store_true", help="short smoke run with small numbers")
    ap.add_argument("--only", default="", help=f"comma-separated parts of {','.join(PARTS)}")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="stock,ours (default both)")
    ap.add_argument("--report-only", action="store_true", help="only rebuild report.md and plots")
    ap.add_argument("--ours-model", help="serve this model as ours instead of training one")
    ap.add_argument(
        "--ours-endpoints",
        default="endpoints.yml",
        help="endpoints file for ours (default: the project's endpoints.yml)",
    )
    ap.add_argument(
        "--ours-workers",
        type=int,
        default=2,
        help="Rasa workers of ours (default 2, as make run starts them)",
    )
    ap.add_argument("--stock-model", help="serve this model as stock instead of training one")
    ap.add_argument(
        "--reuse-models",
        action="store_true",
        help="do not retrain when bench/runs/models/*.tar.gz match the inputs",
    )
    ap.add_argument("--duration", type=float, help="seconds of load per phase")
    ap.add_argument("--concurrency", help="comma-separated concurrencies, e.g. 1,10,50")
    ap.add_argument("--channels", help="rest,socketio")
    ap.add_argument(
        "--no-actions", action="store_true", help="run without the action server (development only)"
    )
    ap.add_argument(
        "--scratch",
        action="store_true",
        help="experiment: write results to bench/runs/<run>/results.json only "
        "(bench/results.json and the report stay as they are)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="py-spy profile of ours under REST x10 (needs py-spy)",
    )
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = parse(sys.argv[1:] if argv is None else argv)
    from bench import report

    if a.report_only:
        report.write()
        return 0
    s = Settings.quick_settings() if a.quick else Settings()
    if a.only:
        parts = tuple(p.strip() for p in a.only.split(",") if p.strip())
        bad = [p for p in parts if p not in PARTS]
        if bad:
            print(f"unknown part(s) {bad}; choose from {PARTS}", file=sys.stderr)
            return 2
        s.parts = parts
    s.systems = tuple(x.strip() for x in a.systems.split(",") if x.strip())
    if a.ours_model:
        s.ours_model = a.ours_model
    s.ours_endpoints = a.ours_endpoints
    s.ours_workers = a.ours_workers
    if a.stock_model:
        s.stock_model = a.stock_model
    if a.reuse_models:
        s.retrain = False
    if a.duration:
        s.duration = s.scale_duration = a.duration
    if a.concurrency:
        s.concurrencies = tuple(int(x) for x in a.concurrency.split(","))
    if a.channels:
        s.channels = tuple(x.strip() for x in a.channels.split(","))
    s.profile = a.profile
    s.actions = not a.no_actions
    s.scratch = a.scratch

    from bench import runner

    def _term(signum, frame):  # stop our servers on Ctrl-C / SIGTERM
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        runner.run(s)
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    if not s.scratch:
        report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
