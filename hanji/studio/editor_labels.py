"""The words of the post editor's toolbar and dialogs, in the writer's language.

django-prose-editor names its toolbar buttons in English ("bold", "insert link", "Heading 2")
and asks `window.gettext` for the words of its dialogs. hanji/studio/static/studio/editor.js
installs this table as that `gettext` before the bundle loads, and renames the toolbar's
buttons (their visible option text, title and accessible name) with it. The keys are the
bundle's own strings, exactly as it writes them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def editor_labels() -> dict[str, str]:
    heading = _("Heading %(level)d")
    return {
        # the text style menu (a dropdown showing the style where the cursor is)
        "Text style": _("Text style"),
        "paragraph": _("Paragraph"),
        "Paragraph": _("Paragraph"),
        **{f"heading {level}": heading % {"level": level} for level in (2, 3, 4)},
        **{f"Heading {level}": heading % {"level": level} for level in (2, 3, 4)},
        "Code block": _("Code block"),
        # buttons
        "unordered list": _("Bulleted list"),
        "ordered list": _("Numbered list"),
        "List properties": _("List properties"),
        "blockquote": _("Quote"),
        "horizontal rule": _("Divider line"),
        "bold": _("Bold"),
        "italic": _("Italic"),
        "underline": _("Underline"),
        "strike": _("Strikethrough"),
        "subscript": _("Subscript"),
        "superscript": _("Superscript"),
        "Code": _("Code"),
        "insert link": _("Link"),
        "remove link": _("Remove link"),
        "Insert table": _("Insert table"),
        "Add column": _("Add column"),
        "Delete column": _("Delete column"),
        "Add row": _("Add row"),
        "Delete row": _("Delete row"),
        "Merge cells": _("Merge cells"),
        "Split cell": _("Split cell"),
        "Toggle header cell": _("Header cell on or off"),
        "Delete table": _("Delete table"),
        "undo": _("Undo"),
        "redo": _("Redo"),
        "Toggle fullscreen": _("Full screen"),
        # dialogs (links, tables, list properties)
        "Cancel": _("Cancel"),
        "Update": _("Apply"),
        "Insert": _("Insert"),
        "URL": _("Web address"),
        "Title": _("Title"),
        "Open in new window": _("Open in a new window"),
        "Edit Link": _("Edit link"),
        "Insert Table": _("Insert table"),
        "Table Properties": _("Table properties"),
        "Rows": _("Rows"),
        "Columns": _("Columns"),
        "Include header row": _("Include a header row"),
        "List type": _("List type"),
        "Start at": _("Start at"),
        "Bullets": _("Bullets"),
        "Decimal numbers": _("Numbers"),
        "Lowercase letters": _("Lowercase letters"),
        "Uppercase letters": _("Uppercase letters"),
        "Lowercase Roman numerals": _("Lowercase Roman numerals"),
        "Uppercase Roman numerals": _("Uppercase Roman numerals"),
    }
