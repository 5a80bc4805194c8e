//! Builder setters, declared once for every parameter type.

/// Writes a builder setter `pub fn name(mut self, name: Type) -> Self` for each
/// `name: Type;`, storing the value in the field of the same name; `name: Some(Type);`
/// stores it in an optional field. Doc comments are carried over to the setter.
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $name:ident: Some($ty:ty); $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(mut self, $name: $ty) -> Self {
            self.$name = Some($name);
            self
        }
        setters!($($rest)*);
    };
    ($(#[$doc:meta])* $name:ident: $ty:ty; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(mut self, $name: $ty) -> Self {
            self.$name = $name;
            self
        }
        setters!($($rest)*);
    };
}
