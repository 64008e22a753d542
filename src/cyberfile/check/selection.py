"""Which rules report: `rules.ignore` / `rules.enable` in cyberfile.yaml plus the
command line's --ignore / --enable. Rules that mean the input could not be read are
always reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.errors import UsageError
from cyberfile.load.project import LoadResult


@dataclass(frozen=True)
class RuleSelection:
    ignore: frozenset[str] = frozenset()
    enable: frozenset[str] = frozenset()
    select: frozenset[str] = frozenset()
    """When not empty, only these codes report."""

    def keeps(self, diagnostic: Diagnostic) -> bool:
        """Whether the finding is reported under this selection."""
        return diagnostic.unreadable or self.runs(rules.RULES[diagnostic.code])

    def runs(self, rule: rules.Rule) -> bool:
        """Whether the rule is checked at all under this selection."""
        if rule.unreadable:
            return True
        code = rule.code
        if code in self.ignore or (self.select and code not in self.select):
            return False
        return not rule.opt_in or code in self.enable or code in self.select


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    """Rule codes from repeated or comma-separated option values."""
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def command_line_selection(
    command: str, select: Iterable[str], ignore: Iterable[str], enable: Iterable[str]
) -> RuleSelection:
    """`--select/--ignore/--enable` of `command`. A code that is not a rule, or a rule
    this command does not run, is misuse: say which command runs it."""
    chosen = {"select": _codes(select), "ignore": _codes(ignore), "enable": _codes(enable)}
    for option, codes in chosen.items():
        for code in codes:
            rule = rules.RULES.get(code)
            if rule is None:
                raise UsageError(f"--{option} {code}: there is no such rule; see docs/rules.md")
            if command not in rule.commands:
                runners = " or ".join(f"`cyberfile {c}`" for c in rule.commands)
                raise UsageError(
                    f"--{option} {code}: {code} ({rule.name}) is not a rule of "
                    f"`cyberfile {command}`; {runners} runs it"
                )
    return RuleSelection(
        frozenset(chosen["ignore"]), frozenset(chosen["enable"]), frozenset(chosen["select"])
    )


def rules_run(command: str, selection: RuleSelection) -> tuple[str, ...]:
    """Codes of the rules `command` runs under `selection`, in registry order."""
    return tuple(rule.code for rule in rules.rules_of(command) if selection.runs(rule))


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
