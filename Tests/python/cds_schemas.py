"""JSON schemas written from the CDS Hooks 2.0 specification (https://cds-hooks.hl7.org/2.0/) for what a
CDS service answers: discovery, the card response, and the invariants the spec states in prose (the
HL7 IG's cds-resp-* rules): a summary under 140 characters, `selectionBehavior` whenever there are
suggestions, a `display` on every override reason, `resource` on create/update actions and
`resourceId` on delete, no empty arrays."""

from __future__ import annotations

CODING = {
    "type": "object",
    "required": ["code", "system"],
    "properties": {"system": {"type": "string", "minLength": 1}, "code": {"type": "string", "minLength": 1},
                   "display": {"type": "string"}},
}

DISCOVERY = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": {"type": "string", "minLength": 1},
                    "title": {"type": "string"},
                    "description": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9._~-]+$"},
                    "prefetch": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
                    "usageRequirements": {"type": "string"},
                },
            },
        },
    },
}

ACTION = {
    "type": "object",
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": {"type": "string", "minLength": 1},
        "resource": {"type": "object", "required": ["resourceType"]},
        "resourceId": {"type": "string", "pattern": "^[A-Za-z]+/[A-Za-z0-9.-]{1,64}$"},
    },
    "allOf": [
        {"if": {"properties": {"type": {"enum": ["create", "update"]}}}, "then": {"required": ["resource"]}},
        {"if": {"properties": {"type": {"const": "delete"}}}, "then": {"required": ["resourceId"]}},
    ],
}

SUGGESTION = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "uuid": {"type": "string", "format": "uuid"},
        "isRecommended": {"type": "boolean"},
        "actions": {"type": "array", "minItems": 1, "items": ACTION},
    },
}

CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {"label": {"type": "string", "minLength": 1}, "url": {"type": "string", "format": "uri"},
                           "icon": {"type": "string"}, "topic": CODING},
        },
        "suggestions": {"type": "array", "minItems": 1, "items": SUGGESTION},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "minItems": 1,
                            "items": {**CODING, "required": ["code", "system", "display"]}},
        "links": {"type": "array", "minItems": 1,
                  "items": {"type": "object", "required": ["label", "url", "type"]}},
    },
    # cds-resp: selectionBehavior is required when suggestions are present.
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}

RESPONSE = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": CARD},
        "systemActions": {"type": "array", "minItems": 1, "items": ACTION},
    },
}
