"""Partner agencies of the safeguarding partnership."""

from mongoengine import Document, StringField


class Agency(Document):
    key = StringField(required=True, unique=True, max_length=64, regex=r"^[a-z0-9_]+$")
    name = StringField(required=True, unique=True, max_length=200)
    kind = StringField(default="", max_length=100)

    meta = {"collection": "agencies", "ordering": ["name"]}

    def __str__(self) -> str:
        return self.name
