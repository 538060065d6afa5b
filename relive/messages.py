"""Texts for a person (errors, notes on a result), in English, that a UI can show in its visitor's language.

A :class:`Message` *is* its English text (a ``str``: the CLI, logs and tests read it as before) and also keeps
its template and parameters, so a UI can look the template up in a table of translations and format the same
parameters into it. The library stays free of languages and sessions: it only says which template it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class Message(str):
    """``template.format(**params)`` as a string, remembering ``template`` and ``params`` for translation.

    Without parameters the template is the text as it is (braces and all); a parameter may itself be a
    :class:`Message`, translated with the rest (a kind of thing, a note inside a note).
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, **params: Any) -> Self:
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template, self.params = template, params
        return self

    def render(self, translations: Mapping[str, str]) -> str:
        """This text with its template looked up in ``translations`` (English template → translated template;
        English when absent), the parameters formatted in, the ones that are messages translated too."""
        template = translations.get(self.template, self.template)
        if not self.params:
            return template
        return template.format(**{name: render(value, translations) if isinstance(value, Message) else value
                                  for name, value in self.params.items()})


def render(text: str, translations: Mapping[str, str]) -> str:
    """``text`` translated when it is a :class:`Message`; any other string as it is."""
    return text.render(translations) if isinstance(text, Message) else str(text)


def join(separator: str, *parts: str) -> Message:
    """The non-empty ``parts`` joined by ``separator``, each still translatable (several notes on one line)."""
    kept = {f"part{index}": part for index, part in enumerate(filter(None, parts))}
    return Message(separator.join(f"{{{name}}}" for name in kept), **kept) if kept else Message("")
