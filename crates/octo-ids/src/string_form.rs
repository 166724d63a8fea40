//! The string form shared by every id: serde, `TryFrom` and `Into<String>`
//! all go through `FromStr` and `Display`.
//!
//! Routing deserialization through `FromStr` means a bad id in JSON fails with
//! the same `Invalid <Kind> ...` message as a bad id anywhere else.

/// Implements `Serialize`, `Deserialize`, `TryFrom<&str>`, `TryFrom<String>`
/// and `From<Id> for String` for an id type that has `FromStr<Err = IdError>`
/// and `Display`. Generic parameters go in leading brackets:
/// `impl_string_form!([K: CkElementKind] CkLocalId<K>)`.
macro_rules! impl_string_form {
    ([$($gen:tt)*] $ty:ty) => {
        impl<$($gen)*> ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de, $($gen)*> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl<$($gen)*> TryFrom<&str> for $ty {
            type Error = $crate::IdError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl<$($gen)*> TryFrom<::std::string::String> for $ty {
            type Error = $crate::IdError;

            fn try_from(s: ::std::string::String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl<$($gen)*> From<$ty> for ::std::string::String {
            fn from(id: $ty) -> Self {
                id.to_string()
            }
        }
    };
    ($ty:ty) => {
        $crate::string_form::impl_string_form!([] $ty);
    };
}

pub(crate) use impl_string_form;
