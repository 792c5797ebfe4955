"""The built-in switch simulator: Poisson calls to toll-free numbers, asked of the SCP and reported
to traffic exactly like a real switch (element `simulator`, mTLS on the network plane).

Modules: `profile` (daily load per number), `arrivals` (non-homogeneous Poisson), `callers`
(ANIs), `centers` (call-center capacity), `model` (a call's random draws, the SCP's answer),
`switch` (the call flow: route-advance, busy, no-answer, abandon → wire records), `client` (SCP
query and batched event POSTs), `settings` (`SimulatorSettings`), `runner` (`run_simulator`).
"""
