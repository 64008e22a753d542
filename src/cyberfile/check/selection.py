"""Which rules report: `rules.ignore` / `rules.enable` in cyberfile.yaml plus the
command line's --ignore / --enable. Rules that mean the input could not be read are
always reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.load.project import LoadResult


@dataclass(frozen=True)
class RuleSelection:
    ignore: frozenset[str] = frozenset()
    enable: frozenset[str] = frozenset()
    select: frozenset[str] = frozenset()
    """When not empty, only these codes report."""

    def keeps(self, diagnostic: Diagnostic) -> bool:
        if diagnostic.unreadable:
            return True
        code = diagnostic.code
        if code in self.ignore or (self.select and code not in self.select):
            return False
        rule = rules.RULES.get(code)
        opted_in = code in self.enable or code in self.select
        return not (rule is not None and rule.opt_in and not opted_in)


def unknown_codes(codes: Iterable[str]) -> list[str]:
    return sorted({c for c in codes if c not in rules.RULES})


def selection_for(
    result: LoadResult, command_line: RuleSelection | None = None
) -> tuple[RuleSelection, list[Diagnostic]]:
    """The project's selection merged with the command line's (a command-line select
    replaces the project's); CF108 for unknown codes written in cyberfile.yaml."""
    given = command_line or RuleSelection()
    problems: list[Diagnostic] = []
    chosen_ignore, chosen_enable = set(given.ignore), set(given.enable)
    chosen_select = set(given.select)
    project = result.project
    if project is not None:
        settings = project.manifest.rules
        chosen_ignore.update(settings.ignore)
        chosen_enable.update(settings.enable)
        if not chosen_select:
            chosen_select.update(settings.select)
        source = result.sources.get("cyberfile")
        for key, codes in (
            ("ignore", settings.ignore),
            ("enable", settings.enable),
            ("select", settings.select),
        ):
            for index, code in enumerate(codes):
                if code not in rules.RULES:
                    problems.append(
                        rules.UNKNOWN_RULE_CODE(
                            source.value(("rules", key, index)) if source else None,
                            f"rules.{key} names {code}, which is not a rule",
                        )
                    )
    selection = RuleSelection(
        frozenset(chosen_ignore), frozenset(chosen_enable), frozenset(chosen_select)
    )
    return selection, problems
