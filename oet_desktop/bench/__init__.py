"""The benchmarks, in one place: each measures one promise on this machine (engine speed and memory, turn
latency in a role-play, time to score, the encrypted store, launch time) and returns figures that the
`oet-desktop bench` commands print and write as JSON with the date, machine and commit."""
