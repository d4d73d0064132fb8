//! Enums whose values have one stable kebab-case name, used alike in JSON, YAML rules, CLI flags and reports:
//! the name is written once, next to the variant, and both directions of the mapping come from it.

/// Declares a fieldless enum whose variants each carry their name: generates `ALL`, `name()`, `from_name()`,
/// `Display`, and serde (de)serialisation as that name.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value's stable name (`kebab-case`), as JSON, rules and flags spell it.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value a stable name stands for (exact spelling).
            pub fn from_name(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                $name::from_name(&text).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.name()).collect();
                    ::serde::de::Error::custom(format!(
                        "unknown {} {:?}: expected one of {}",
                        stringify!($name),
                        text,
                        names.join(", ")
                    ))
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    named_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour {
            DeepRed = "deep-red",
            Blue = "blue",
        }
    }

    #[test]
    fn names_round_trip_in_both_directions_and_through_serde() {
        for colour in Colour::ALL {
            assert_eq!(Colour::from_name(colour.name()), Some(*colour));
            let json = serde_json::to_string(colour).expect("serialise");
            assert_eq!(serde_json::from_str::<Colour>(&json).expect("deserialise"), *colour);
        }
        assert_eq!(Colour::DeepRed.to_string(), "deep-red");
        assert_eq!(Colour::from_name("Deep-Red"), None);
        let err = serde_json::from_str::<Colour>("\"green\"").expect_err("unknown name");
        assert!(err.to_string().contains("expected one of deep-red, blue"), "{err}");
    }
}
