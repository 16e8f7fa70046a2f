"""The demo / training data of SPEC §12: fake people and patients only."""

from __future__ import annotations

DEMO_PASSWORD = "consilium-demo"  # noqa: S105 - training accounts on fake data, printed by `make run`

ERNS = {
    "EuroBloodNet": (
        "European Reference Network on Rare Haematological Diseases",
        ["Amyloidosis", "Bone marrow failure", "Rare lymphomas", "Rare red blood cell disorders", "Rare bleeding disorders"],
    ),
    "VASCERN": (
        "European Reference Network on Rare Multisystemic Vascular Diseases",
        [
            "Hereditary Haemorrhagic Telangiectasia (HHT-WG)",
            "Heritable Thoracic Aortic Disease (HTAD-WG)",
            "Medium Sized Arteries (MSA-WG)",
            "Paediatric & Primary Lymphedema (PPL-WG)",
            "Vascular Anomalies (VASCA-WG)",
        ],
    ),
}

# code, name, country, ERNs
CENTRES = [
    ("BE10", "University Hospital Leuven", "BE", ["EuroBloodNet", "VASCERN"]),
    ("CZ08", "University Hospital Brno", "CZ", ["EuroBloodNet"]),
    ("FR08", "Hôpital Saint-Louis", "FR", ["EuroBloodNet", "VASCERN"]),
    ("IT10", "Villa Sofia-Cervello, Palermo", "IT", ["EuroBloodNet", "VASCERN"]),
]

# e-mail, first name, last name, specialisation, [(ERN, centre code or None, role)], thematic areas
USERS = [
    (
        "coordinator@demo.consilium.eu",
        "Carla",
        "Coordinatrice",
        "Coordinator",
        [("EuroBloodNet", None, "coordinator"), ("VASCERN", None, "coordinator")],
        [],
    ),
    ("researcher@demo.consilium.eu", "Rui", "Researcher", "Epidemiologist", [("EuroBloodNet", None, "researcher")], []),
    ("manager@demo.consilium.eu", "Mara", "Manager", "ERN manager", [("EuroBloodNet", None, "ern_manager")], []),
    (
        "guest@demo.consilium.eu",
        "Greta",
        "Guest",
        "Haematologist",
        [("EuroBloodNet", "GUEST-EuroBloodNet", "guest_expert")],
        ["Rare lymphomas"],
    ),
    (
        "hp1@demo.consilium.eu",
        "Hanna",
        "Peeters",
        "Haematologist",
        [("EuroBloodNet", "BE10", "member_expert")],
        ["Amyloidosis", "Rare lymphomas"],
    ),
    ("hp2@demo.consilium.eu", "Jan", "Novák", "Radiologist", [("EuroBloodNet", "CZ08", "member_expert")], ["Rare lymphomas"]),
    (
        "hp3@demo.consilium.eu",
        "Sophie",
        "Martin",
        "Haematologist",
        [("EuroBloodNet", "FR08", "member_expert"), ("EuroBloodNet", None, "panel_manager")],
        ["Amyloidosis"],
    ),
    (
        "hp4@demo.consilium.eu",
        "Marco",
        "Rossi",
        "Vascular surgeon",
        [("VASCERN", "IT10", "member_expert"), ("VASCERN", "IT10", "panel_manager"), ("EuroBloodNet", "IT10", "member_expert")],
        ["Medium Sized Arteries (MSA-WG)"],
    ),
    (
        "hp5@demo.consilium.eu",
        "Elise",
        "Janssens",
        "Geneticist",
        [("VASCERN", "BE10", "member_expert"), ("EuroBloodNet", "BE10", "member_expert")],
        ["Hereditary Haemorrhagic Telangiectasia (HHT-WG)", "Rare red blood cell disorders"],
    ),
    ("dispatcher@demo.consilium.eu", "Dora", "Dispatcher", "ERN helpdesk", [("EuroBloodNet", None, "dispatcher")], []),
    ("assistant@demo.consilium.eu", "Anouk", "Willems", "Clinical assistant", [("EuroBloodNet", "BE10", "assistant")], []),
    (
        "guest.vascern@demo.consilium.eu",
        "Gustav",
        "Gast",
        "Interventional radiologist",
        [("VASCERN", "GUEST-VASCERN", "guest_expert")],
        ["Vascular Anomalies (VASCA-WG)"],
    ),
    ("researcher.vascern@demo.consilium.eu", "Vera", "Vos", "Epidemiologist", [("VASCERN", None, "researcher")], []),
]

# centre, ERN, enrolling user, first name, last name, gender, date of birth, registry consent
PATIENTS = [
    ("BE10", "EuroBloodNet", "hp1@demo.consilium.eu", "Roger", "Addel", "male", "05/02/1976", "yes"),
    ("BE10", "EuroBloodNet", "hp1@demo.consilium.eu", "Hélène", "Dupré", "female", "17/09/1988", "no"),
    ("BE10", "EuroBloodNet", "hp5@demo.consilium.eu", "Lukas", "Vermeulen", "male", "02/11/2004", "yes"),
    ("BE10", "VASCERN", "hp5@demo.consilium.eu", "Ana", "Müller", "female", "29/02/1980", ""),
    ("CZ08", "EuroBloodNet", "hp2@demo.consilium.eu", "Petr", "Dvořák", "male", "14/06/1959", "yes"),
    ("CZ08", "EuroBloodNet", "hp2@demo.consilium.eu", "Eva", "Svobodová", "female", "01/01/2012", "no"),
    ("FR08", "EuroBloodNet", "hp3@demo.consilium.eu", "Chloé", "Lefèvre", "female", "23/03/1995", "yes"),
    ("FR08", "EuroBloodNet", "hp3@demo.consilium.eu", "Théo", "Bernard", "male", "08/08/1970", ""),
    ("IT10", "VASCERN", "hp4@demo.consilium.eu", "Giulia", "Bianchi", "female", "12/12/1999", "yes"),
    ("IT10", "EuroBloodNet", "hp4@demo.consilium.eu", "Luca", "Ferrari", "male", "30/04/1966", "no"),
]


# The model consent forms every demo ERN offers at enrolment: language, title, text (training data, not a legal text).
CONSENT_FORMS = [
    (
        "en",
        "Model consent form",
        "Training environment: this is not a real consent form. A real one explains what the ERN does with the "
        "patient's data, who sees them, and how consent is withdrawn; the patient signs and dates it.",
    ),
    (
        "fr",
        "Formulaire de consentement type",
        "Environnement de formation : ceci n'est pas un vrai formulaire de consentement. Un vrai formulaire explique ce "
        "que l'ERN fait des données du patient, qui les voit et comment retirer son consentement ; le patient le signe et le date.",
    ),
]
