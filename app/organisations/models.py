"""ERNs, their thematic areas, and the centres (healthcare providers) that belong to them."""

from __future__ import annotations

from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.database import db

centre_erns = Table(
    "centre_erns",
    db.metadata,
    Column("centre_id", ForeignKey("centres.id", ondelete="CASCADE"), primary_key=True),
    Column("ern_id", ForeignKey("erns.id", ondelete="CASCADE"), primary_key=True),
)


class Ern(db.Model):  # type: ignore[name-defined,misc]
    """A European Reference Network, e.g. EuroBloodNet."""

    __tablename__ = "erns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    thematic_areas: Mapped[list[ThematicArea]] = relationship(back_populates="ern", order_by="ThematicArea.name")
    centres: Mapped[list[Centre]] = relationship(secondary=centre_erns, back_populates="erns", order_by="Centre.code")


class ThematicArea(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "thematic_areas"
    __table_args__ = (UniqueConstraint("ern_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    ern: Mapped[Ern] = relationship(back_populates="thematic_areas")


class Centre(db.Model):  # type: ignore[name-defined,misc]
    """A hospital, coded by country and number (BE10), or an ERN's guest virtual centre."""

    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    is_guest: Mapped[bool] = mapped_column(default=False)
    erns: Mapped[list[Ern]] = relationship(secondary=centre_erns, back_populates="centres", order_by="Ern.code")

    @property
    def display_name(self) -> str:
        return f"{self.code} - {self.name}"
