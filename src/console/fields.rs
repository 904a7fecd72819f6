//! Reading form fields into the management API's JSON: optional numbers,
//! whole numbers and texts, each refused with a readable message naming
//! the field's label. No page logic here.

use serde_json::{Value, json};

use super::page::PageError;

/// An optional decimal field: empty is null (which clears a stored value).
pub fn number(given: &str, label: &str) -> Result<Value, PageError> {
    match given.trim() {
        "" => Ok(Value::Null),
        given => given
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .map(|value| json!(value))
            .ok_or_else(|| PageError::invalid(&format!("{label} must be a number."))),
    }
}

/// An optional whole-number field: empty is null.
pub fn integer(given: &str, label: &str) -> Result<Value, PageError> {
    match given.trim() {
        "" => Ok(Value::Null),
        given => given
            .parse::<i64>()
            .map(|value| json!(value))
            .map_err(|_| PageError::invalid(&format!("{label} must be a whole number."))),
    }
}

/// An optional text field: empty is null.
pub fn optional(given: &str) -> Value {
    match given.trim() {
        "" => Value::Null,
        given => json!(given),
    }
}

/// A required text field.
pub fn required(given: &str, label: &str) -> Result<String, PageError> {
    match given.trim() {
        "" => Err(PageError::invalid(&format!("{label} is required."))),
        given => Ok(given.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_or_refuse() {
        assert_eq!(number(" 2.5 ", "Max").unwrap(), json!(2.5));
        assert_eq!(number("", "Max").unwrap(), Value::Null);
        assert!(number("NaN", "Max").is_err());
        assert!(integer("1.5", "RPM").is_err());
        assert_eq!(integer("7", "RPM").unwrap(), json!(7));
        assert_eq!(optional("  "), Value::Null);
        assert!(required(" ", "Name").is_err());
    }
}
