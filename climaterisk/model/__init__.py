"""Layer 3, the model: the numerical core, pure functions over validated data.

Owns compiling a register under a scenario and year into arrays (:mod:`.compile`: the scenario
acts here), the control configurations (:mod:`.controls`: where controls and insurance act on
those arrays), random draws (:mod:`.draws`), the Monte Carlo evaluation (:mod:`.simulate`),
the exact distributions by discretisation and FFT (:mod:`.exact`), risk measures
(:mod:`.metrics`) and their streaming summaries (:mod:`.streaming`), the per-trial ISO 22301
exposure observer (:mod:`.observer`), and the Dask engine (:mod:`.dask_engine`).

May import: the scenarios and register layers and the base layer; numpy and scipy. It never
reads files, prints or renders; dask is imported only by :mod:`.dask_engine`.
"""
