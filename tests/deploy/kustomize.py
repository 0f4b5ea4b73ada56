"""Render a kustomization the way `kubectl apply -k` would, for the fields deploy/k8s uses.

kustomize itself may be missing (CI installs no kubectl): this covers `resources` (files
and other kustomizations), `namespace`, `labels` (metadata only), `images`, `replicas` and
`patches` given as strategic-merge files of maps and scalars. Anything else raises, so
a manifest cannot quietly use a feature rendered wrong here; test_kustomize_render
compares the result with `kubectl kustomize` where kubectl is installed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Final

import yaml

Document = dict[str, Any]

_SUPPORTED: Final = frozenset(
    {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
)


class UnsupportedError(AssertionError):
    """The kustomization uses something this renderer does not implement."""


def render(directory: Path) -> list[Document]:
    """Every object the kustomization in `directory` produces, in resource order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - _SUPPORTED
    if unknown:
        raise UnsupportedError(f"{directory}: {sorted(unknown)} not rendered by tests")
    documents: list[Document] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            documents.extend(render(path))
        else:
            documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d is not None)
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise UnsupportedError(f"patch {patch}: only `path` patches are rendered")
        for change in yaml.safe_load_all((directory / patch["path"]).read_text()):
            target = _target(documents, change)
            index = next(i for i, d in enumerate(documents) if d is target)
            documents[index] = _merged(target, change)
    for entry in kustomization.get("replicas", []):
        _named(documents, "Deployment", entry["name"])["spec"]["replicas"] = entry["count"]
    for entry in kustomization.get("labels", []):
        if entry.get("includeSelectors", False) or entry.get("includeTemplates", False):
            raise UnsupportedError("labels on selectors or templates are not rendered")
        for document in documents:
            document["metadata"].setdefault("labels", {}).update(entry["pairs"])
    for image in kustomization.get("images", []):
        for document in documents:
            _set_image(document, image)
    if "namespace" in kustomization:
        for document in documents:
            document["metadata"]["namespace"] = kustomization["namespace"]
    return documents


def _named(documents: list[Document], kind: str, name: str) -> Document:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    if len(found) != 1:
        raise AssertionError(f"{kind}/{name}: {len(found)} objects to patch")
    return found[0]


def _target(documents: list[Document], change: Document) -> Document:
    return _named(documents, change["kind"], change["metadata"]["name"])


def _merged(base: Any, change: Any) -> Any:
    """Strategic merge of maps: keys merge, scalars replace, null deletes. Lists (merged
    by key in kustomize) are not rendered here."""
    if isinstance(change, list) or isinstance(base, list):
        raise UnsupportedError("list patches are not rendered: patch a map or a scalar")
    if not isinstance(change, dict) or not isinstance(base, dict):
        return copy.deepcopy(change)
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if value is None:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _set_image(document: Document, image: dict[str, str]) -> None:
    template = document.get("spec", {}).get("template", {}).get("spec", {})
    for container in template.get("containers", []) + template.get("initContainers", []):
        name, _, tag = container["image"].partition(":")
        if name == image["name"]:
            new_name = image.get("newName", name)
            new_tag = image.get("newTag", tag)
            container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
