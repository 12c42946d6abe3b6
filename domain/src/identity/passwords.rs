//! Password rules and hashing (argon2id with the crate's OWASP defaults).

use crate::DomainError;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::sync::OnceLock;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// Words at the root of the most common passwords (rockyou / SecLists top
/// lists). A password is refused when, lower-cased and stripped of the
/// digits and symbols people append, it is one of these.
const COMMON_ROOTS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "qwerty",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "superman",
    "batman",
    "trustno1",
    "starwars",
    "whatever",
    "freedom",
    "michael",
    "jennifer",
    "jordan",
    "hunter",
    "charlie",
    "liverpool",
    "chelsea",
    "arsenal",
    "computer",
    "internet",
    "secret",
    "changeme",
    "default",
    "login",
    "abc",
    "abcdef",
    "abcdefg",
    "abcdefgh",
    "qazwsx",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "loveme",
    "lovely",
    "flower",
    "hello",
    "hellothere",
    "mustang",
    "access",
    "soccer",
    "hockey",
    "killer",
    "pepper",
    "ginger",
    "cookie",
    "summer",
    "winter",
    "spring",
    "autumn",
    "matrix",
    "google",
    "facebook",
    "youtube",
    "tiktok",
    "instagram",
    "samsung",
    "apple",
    "nothing",
    "blahblah",
    "trustme",
    "letmeinnow",
    "iloveyou2",
    "princess1",
    "qwerty123",
    "password1",
    "reelpilot",
    "temporal",
    "test",
    "testing",
    "guest",
    "root",
    "user",
    "passpass",
    "mypassword",
    "yourpassword",
];

/// Whole passwords from the top lists that survive the root check.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "9876543210",
    "1111111111",
    "0000000000",
    "1212121212",
    "1234512345",
    "1122334455",
    "qwertyuiop",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "a1b2c3d4e5",
    "aaaaaaaaaa",
    "abcd1234efgh",
    "12345qwert",
    "qwert12345",
    "asdfasdfasdf",
    "iloveyou123",
    "password123",
];

/// Checks a new password; the reasons are for the person choosing it.
pub fn validate(password: &str, email: &str) -> Result<(), DomainError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(DomainError::invalid("password", format!("must be at least {MIN_LEN} characters")));
    }
    if len > MAX_LEN {
        return Err(DomainError::invalid("password", format!("must be at most {MAX_LEN} characters")));
    }
    let lower = password.to_lowercase();
    let root = lower.trim_matches(|c: char| !c.is_alphabetic());
    let distinct = lower.chars().collect::<std::collections::BTreeSet<_>>().len();
    if COMMON_PASSWORDS.contains(&lower.as_str()) || COMMON_ROOTS.contains(&root) || distinct < 4 {
        return Err(DomainError::invalid("password", "is too common; choose a longer phrase of your own"));
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        return Err(DomainError::invalid("password", "must not contain your email address"));
    }
    Ok(())
}

/// Hashes on the blocking pool: argon2 is tens of milliseconds of CPU and
/// memory by design, which would stall every request sharing the executor
/// thread.
pub async fn hash(password: &str) -> String {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password)).await.expect("hashing does not panic")
}

/// Verifies on the blocking pool, like [`hash`].
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    let (password, stored) = (password.to_owned(), stored.map(str::to_owned));
    tokio::task::spawn_blocking(move || verify_now(&password, stored.as_deref()))
        .await
        .expect("verifying does not panic")
}

fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any input").to_string()
}

/// Verifies `password` against `stored`, or against a fixed dummy hash when
/// there is no account, so both cases cost the same time.
fn verify_now(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_now("not a real password, only equal work"));
    let (candidate, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(candidate)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_common_passwords_are_refused() {
        let email = "maria.lopez@example.com";
        assert!(validate("short1!", email).is_err());
        assert!(validate(&"x".repeat(129), email).is_err());
        for common in ["password2024!", "Qwerty123456", "1234567890", "iloveyou123", "aaaaaaaaaaaa", "Sunshine!!!!"] {
            assert!(validate(common, email).is_err(), "{common} must be refused");
        }
        assert!(validate("maria.lopez-rocks", email).is_err(), "contains the email");
        assert!(validate("plum tractor velvet 9", email).is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let h = hash("plum tractor velvet 9").await;
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("plum tractor velvet 9", Some(&h)).await);
        assert!(!verify("plum tractor velvet 8", Some(&h)).await);
        assert!(!verify("plum tractor velvet 9", None).await, "no account never verifies");
    }

    /// On a one-thread executor, other tasks keep running while a password
    /// is hashed: the work is off the executor.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_does_not_stall_the_executor() {
        use std::sync::{
            Arc,
            atomic::{AtomicU32, Ordering},
        };
        let ticks = Arc::new(AtomicU32::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::task::yield_now().await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        tokio::task::yield_now().await;
        let before = ticks.load(Ordering::Relaxed);
        let h = hash("plum tractor velvet 9").await;
        let during = ticks.load(Ordering::Relaxed) - before;
        let verified = verify("plum tractor velvet 9", Some(&h)).await;
        ticker.abort();
        assert!(verified);
        assert!(during > 10, "the executor ran other tasks {during} times while hashing");
    }
}
