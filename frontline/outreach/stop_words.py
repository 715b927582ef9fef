"""Replies that withdraw consent: STOP and its common variants, in several languages.

A reply is an opt-out when, once accents, case and punctuation are set aside, it is one of
these words and nothing else (as Twilio's own opt-out handling reads them): "Stop!", "stop.",
"ARRÊT", " Baja " all are; "Don't stop sending me offers" is not.
"""

from __future__ import annotations

import re
import unicodedata

# Keyword -> the language of its confirmation.
OPT_OUT_WORDS = {
    # Twilio's default opt-out keywords.
    "stop": "en",
    "stopall": "en",
    "stop all": "en",
    "unsubscribe": "en",
    "cancel": "en",
    "end": "en",
    "quit": "en",
    "optout": "en",
    "opt out": "en",
    "revoke": "en",
    # French, Spanish, German, Italian, Portuguese, Dutch.
    "arret": "fr",
    "arreter": "fr",
    "desabonner": "fr",
    "desinscrire": "fr",
    "baja": "es",
    "darse de baja": "es",
    "dar de baja": "es",
    "alto": "es",
    "parar": "pt",
    "cancelar": "es",
    "stopp": "de",
    "abmelden": "de",
    "abbestellen": "de",
    "annulla": "it",
    "disiscrivimi": "it",
    "basta": "it",
    "sair": "pt",
    "afmelden": "nl",
}

CONFIRMATIONS = {
    "en": "You are unsubscribed and will receive no more {channel} messages from {brand}.",
    "fr": "Votre désinscription est enregistrée : vous ne recevrez plus de messages {channel} "
    "de {brand}.",
    "es": "Se ha dado de baja: no recibirá más mensajes por {channel} de {brand}.",
    "de": "Sie sind abgemeldet und erhalten keine {channel}-Nachrichten mehr von {brand}.",
    "it": "Disiscrizione registrata: non riceverà più messaggi {channel} da {brand}.",
    "pt": "Pedido registado: não voltará a receber mensagens {channel} de {brand}.",
    "nl": "U bent afgemeld en ontvangt geen {channel}-berichten meer van {brand}.",
}

_NOT_LETTERS = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def normalized(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = _NOT_LETTERS.sub(" ", letters.casefold())
    return _SPACES.sub(" ", plain).strip()


def opt_out_language(text: str) -> str | None:
    """The language of the confirmation when the text is an opt-out, else None."""
    return OPT_OUT_WORDS.get(normalized(text))


def confirmation(language: str, *, channel: str, brand: str) -> str:
    return CONFIRMATIONS.get(language, CONFIRMATIONS["en"]).format(channel=channel, brand=brand)
