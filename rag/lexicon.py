"""The Spanish vocabulary of the answer layer, defined once.

Each entry is named after what it recognises, with an example. Patterns match
accent-folded, lower-case text (``rag.text.fold``) unless they say otherwise.
"""

from __future__ import annotations

import re

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre")
"""Month names, folded: "junio"."""

MONEY_UNIT = re.compile(r"peso|\$|mdp|\bmd[dp]\b")
"""A unit of money: "millones de pesos", "MDP", "$"."""

ASKS_YEAR = re.compile(r"\ben que ano\b|\bque ano\b|\bcual (?:fue|es|era) el ano\b|\bano de (?:inicio|creacion|referencia|la linea base)\b")
"""A question whose answer is a year: "¿en qué año inició…?"."""

ASKS_DATE = re.compile(r"\bcuando\b|\bque fecha\b|\ben que fecha\b|\bdesde cuando\b|\bhasta cuando\b|\ba partir de que\b|\bque dia\b|\bque mes\b")
"""A question whose answer is a date: "¿desde cuándo…?", "¿en qué fecha…?"."""

DATE_PHRASE = re.compile(rf"(?i)\b(?:\d{{1,2}}\s+de\s+)?(?:{'|'.join(MONTHS)})\b(?:\s+(?:de|del)\s+(?:19|20)\d\d)?")
"""A date as printed: "1 de julio de 2023", "junio de 2024", "marzo" (case-insensitive)."""

GOAL_WORDS = re.compile(r"\bmetas?\b|\baprobad[oa]s?\b|\bprogramad[oa]s?\b|\bestimad[oa]s?\b|\bprevist[oa]s?\b")
"""Words that say a figure is a goal, not a result: "la meta de 90%", column "Aprobada"."""

VARIATION_HEADER = re.compile(r"\bvar\b|variacion|estructura|porcentual|%")
"""A table column of changes or shares rather than levels: "VAR. %", "ESTRUCTURA PORCENTUAL 2012"."""

CHANGE_WORDS = re.compile(r"\b(?:crec|aument|disminu|variac|avance|avanz|increment|reduj|reduc|cay|baj[oa])\w*")
"""Words that ask for a change or a progress: "¿cuánto creció…?", "¿qué avance llevaba…?"."""

QUANTITY_NOUNS = [
    "porcentaje",
    "porcentajes",
    "monto",
    "montos",
    "cantidad",
    "numero",
    "valor",
    "valores",
    "tasa",
    "proporcion",
    "total",
    "cifra",
    "importe",
    "presupuesto",
    "cobertura",
    "meta",
    "avance",
    "indice",
    "promedio",
    "saldo",
    "costo",
    "gasto",
    "incremento",
    "aumento",
    "crecimiento",
    "variacion",
    "diferencia",
    "nivel",
    "parte",
    "resultado",
    "superavit",
    "deficit",
    "ahorro",
    "suma",
    "razon",
    "cociente",
    "recaudacion",
    "ingreso",
    "ingresos",
    "egresos",
    "inversion",
    "poblacion",
    "cuantia",
    "volumen",
    "capacidad",
    "ano",
    "anos",
    "edad",
    "rango",
    "linea",
    "peso",
    "cumplimiento",
    "participacion",
    "aportacion",
    "factor",
    "salario",
    "progreso",
    "asignacion",
    "desviacion",
    "ocupacion",
    "margen",
    "erogacion",
    "nomina",
    "contraccion",
    "pago",
    "venta",
]
"""Nouns that ask for a figure after "¿qué…?" / "¿cuál es el…?": "¿qué porcentaje…?", "¿cuál fue el monto…?"."""

_NOT_A_NAME = "|".join([*QUANTITY_NOUNS, "fue", "fueron", "era", "eran", "es", "son", "sera", "seria", "el", "la", "los", "las", "del", "de", "que", "lo"])
ASKS_NAME = re.compile(
    rf"\b(?:que|cual(?:es)?)\s+(?:(?:es|son|fue|fueron|era|eran)\s+)?(?:(?:el|la|los|las)\s+)?(?!(?:{_NOT_A_NAME})\b)[a-z]{{3,}}"
    r"|\b(?:significa|siglas|nombre|llama|llaman|denomina|quien|quienes|unidad de medida|frecuencia|periodicidad|fuente)\b"
    r"|\b(?:como se|por que|para que|donde|cuando)\b"
)
"""A question whose answer is a name, a unit, a source or a reason: "¿qué instrumento…?", "¿qué significan las siglas…?"
(on dev, 127 of 138 text questions and 30 of 437 number questions)."""
