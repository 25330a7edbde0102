"""The engine registry is the one home of each engine's operating point: the model's
choices, the portal's profiles and the engine classes must all say what it says."""

import subprocess
import sys

import pytest

from lfr_portal.engines import ENGINE_PROFILES
from lfr_portal.models.deployments import Engine as EngineChoice
from matcher.engines import EngineError, engine_class
from matcher.engines.registry import ENGINE_NAMES, ENGINES, UnknownEngine, operating_point


def test_model_choices_name_the_registered_engines_with_their_labels():
    assert sorted(EngineChoice.values) == sorted(ENGINE_NAMES)
    assert dict(EngineChoice.choices) == {engine.name: engine.label for engine in ENGINES}


def test_portal_profiles_are_the_registry_declarations():
    assert list(ENGINE_PROFILES) == list(ENGINE_NAMES)
    for name, profile in ENGINE_PROFILES.items():
        assert profile is operating_point(name)
        assert profile.floor <= profile.default_threshold


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_each_engine_class_carries_its_declared_operating_point(name):
    try:
        cls = engine_class(name)
    except ImportError as error:  # an optional engine whose library is not installed
        pytest.skip(f"{name}: {error}")
    declared = operating_point(name)
    assert (cls.name, cls.label) == (declared.name, declared.label)
    assert cls.default_threshold == float(declared.default_threshold)
    assert cls.floor == float(declared.floor)


def test_an_unknown_name_is_refused_by_the_registry_and_the_factory():
    with pytest.raises(UnknownEngine):
        operating_point("no-such-engine")
    with pytest.raises(EngineError, match="choose one of"):
        engine_class("no-such-engine")


def test_the_registry_loads_neither_django_models_nor_native_libraries():
    code = (
        "import sys, matcher.engines.registry; "
        "heavy = {'cv2', 'onnxruntime', 'dlib', 'lfr_portal', 'django.db'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
