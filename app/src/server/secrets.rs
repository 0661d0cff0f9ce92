//! Sealing credentials with the installation's secret key: XChaCha20-Poly1305 with a random
//! 192-bit nonce per value, stored as base64 of nonce || ciphertext. A value sealed under
//! another key, or altered, does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const NONCE: usize = 24;

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Sealer {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    pub fn seal(&self, plaintext: &str) -> Result<String, String> {
        let mut nonce = [0u8; NONCE];
        getrandom::getrandom(&mut nonce).map_err(|e| format!("no randomness for a nonce: {e}"))?;
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| "the value could not be encrypted".to_string())?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// The plaintext, or why it cannot be had (another key, altered data).
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| "the stored secret is not valid base64".to_string())?;
        if bytes.len() < NONCE {
            return Err("the stored secret is too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| {
                "the stored secret cannot be decrypted with this installation's secret key (was the key replaced?); enter the secret again".to_string()
            })?;
        String::from_utf8(plain).map_err(|_| "the stored secret is not text".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key() {
        let a = Sealer::new(&[7; 32]);
        let sealed = a.seal("s3cr3t").unwrap();
        assert!(!sealed.contains("s3cr3t"));
        assert_ne!(sealed, a.seal("s3cr3t").unwrap(), "a fresh nonce each time");
        assert_eq!(a.open(&sealed).unwrap(), "s3cr3t");
        let b = Sealer::new(&[8; 32]);
        assert!(b.open(&sealed).unwrap_err().contains("secret key"));
        let mut tampered = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD.encode(tampered);
        assert!(a.open(&tampered).is_err());
    }
}
