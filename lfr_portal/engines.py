"""The portal's view of the recognition engines: their operating points, by name.

A thin adapter over matcher.engines.registry, the one place each engine's name, label,
floor, default threshold and calibration note are declared.
"""

from matcher.engines.registry import ENGINES, EngineDeclaration, engine_choices

EngineProfile = EngineDeclaration

ENGINE_PROFILES: dict[str, EngineProfile] = {engine.name: engine for engine in ENGINES}

ENGINE_CHOICES: list[tuple[str, str]] = engine_choices()
