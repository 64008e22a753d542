"""Which rules report: `rules.ignore` / `rules.enable` in cyberfile.yaml plus the
command line's --ignore / --enable. Rules that mean the input could not be read are
always reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cyberfile.check import rules
from cyberfile.check.diagnostic import Diagnostic
from cyberfile.load.project import LoadResult


@dataclass(frozen=True)
class RuleSelection:
    ignore: frozenset[str] = frozenset()
    enable: frozenset[str] = frozenset()

    def keeps(self, diagnostic: Diagnostic) -> bool:
        if diagnostic.unreadable:
            return True
        if diagnostic.code in self.ignore:
            return False
        rule = rules.RULES.get(diagnostic.code)
        return not (rule is not None and rule.opt_in and diagnostic.code not in self.enable)

    def runs(self, rule: rules.Rule) -> bool:
        if rule.code in self.ignore:
            return False
        return not rule.opt_in or rule.code in self.enable


def unknown_codes(codes: Iterable[str]) -> list[str]:
    return sorted({c for c in codes if c not in rules.RULES})


def selection_for(
    result: LoadResult, ignore: Iterable[str] = (), enable: Iterable[str] = ()
) -> tuple[RuleSelection, list[Diagnostic]]:
    """The project's selection merged with the command line's; CF108 for unknown codes
    written in cyberfile.yaml."""
    problems: list[Diagnostic] = []
    chosen_ignore, chosen_enable = set(ignore), set(enable)
    project = result.project
    if project is not None:
        settings = project.manifest.rules
        chosen_ignore.update(settings.ignore)
        chosen_enable.update(settings.enable)
        source = result.sources.get("cyberfile")
        for key, codes in (("ignore", settings.ignore), ("enable", settings.enable)):
            for index, code in enumerate(codes):
                if code not in rules.RULES:
                    problems.append(
                        rules.UNKNOWN_RULE_CODE(
                            source.value(("rules", key, index)) if source else None,
                            f"rules.{key} names {code}, which is not a rule",
                        )
                    )
    return RuleSelection(frozenset(chosen_ignore), frozenset(chosen_enable)), problems
