"""What every benchmark needs besides what it measures.

- `processes`: child processes (servers and load generators), started on chosen CPUs with
  `taskset`, spoken to by JSON lines, waited for until they serve, killed at the end.
- `usage`: CPU seconds and resident memory of a set of processes, and the machine's busy CPU,
  from /proc.
- `sio`: a lightweight Socket.IO client (Engine.IO v4 / Socket.IO v5 on a bare socket, a few
  µs a frame), so thousands of viewers or buyers fit in a few load processes.
- `backends`: a fresh PostgreSQL database and a flushed Redis database for a run.
- `report`: the table a benchmark prints, a few figures (quantiles, merged counts), and the
  JSON it writes, with the run's record (`record`: machine, commit, Python, time).

Every benchmark takes `--server-cpus` and `--load-cpus` (a CPU list as `taskset --cpu-list`
reads it: `0`, `1-3`, `0,2`): the server processes run on the first, the load generators on
the second, so the server's share of the machine shows apart from the load's. By default
nothing is pinned. `--out` names the JSON file (default `bench/results/<benchmark>.json`).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout the benchmarks run from
