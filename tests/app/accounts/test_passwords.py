from argon2 import PasswordHasher
from argon2 import Type
from argon2 import extract_parameters

from app.accounts.passwords import hash_password
from app.accounts.passwords import verify_password
from app.database import db
from tests import factories

# OWASP Password Storage Cheat Sheet: argon2id with at least 19 MiB of memory, 2 iterations and 1 degree of parallelism.
OWASP_MEMORY_KIB, OWASP_PASSES, OWASP_LANES = 19 * 1024, 2, 1


def test_new_password_hashes_meet_the_owasp_minimum_for_argon2id():
    parameters = extract_parameters(hash_password("a new password"))
    assert parameters.type is Type.ID
    assert parameters.memory_cost >= OWASP_MEMORY_KIB
    assert parameters.time_cost >= OWASP_PASSES
    assert parameters.parallelism >= OWASP_LANES


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_sign_in(world, client):
    older = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)  # argon2-cffi's default until now
    world.clinician.password_hash = older.hash(factories.PASSWORD)
    db.session.flush()

    response = client.post("/login", data={"email": world.clinician.email, "password": factories.PASSWORD})

    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    db.session.refresh(world.clinician)
    assert extract_parameters(world.clinician.password_hash) == extract_parameters(hash_password("x"))
    assert verify_password(world.clinician.password_hash, factories.PASSWORD)


def test_a_wrong_password_leaves_an_older_hash_as_it_is(world, client):
    stored = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(factories.PASSWORD)
    world.clinician.password_hash = stored
    db.session.flush()

    response = client.post("/login", data={"email": world.clinician.email, "password": "not the password"})

    assert response.status_code == 200 and "Wrong e-mail or password" in response.text
    db.session.refresh(world.clinician)
    assert world.clinician.password_hash == stored
