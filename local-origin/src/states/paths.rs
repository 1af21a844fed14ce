//! The States Language's data handling, as much of it as the workflows use: JSONPath references (`$.a.b[0]`,
//! `$$.Map.Item.Value`), payload templates (`"key.$": "path or intrinsic"`), `ResultPath` and the intrinsic
//! functions `States.JsonToString`, `States.StringToJson` and `States.Format`.

use serde_json::{Map, Value};

/// A state's failure: an error name and its cause, as Step Functions reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The error name (`States.Runtime`, `Bedrock.ModelErrorException`, …).
    pub error: String,
    /// What happened.
    pub cause: String,
}

impl Failure {
    /// A failure named `error`.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure { error: error.into(), cause: cause.into() }
    }

    /// `States.Runtime`: the definition or the data is wrong; never retried, never caught.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Failure::new("States.Runtime", cause)
    }
}

enum Step {
    Key(String),
    Index(usize),
}

/// Splits a path into the root it starts from (`$` input, `$$` context) and its steps.
fn parse(path: &str) -> Result<(bool, Vec<Step>), Failure> {
    let bad = || Failure::runtime(format!("unsupported JSONPath '{path}'"));
    let (context, mut rest) = match path.strip_prefix("$$") {
        Some(rest) => (true, rest),
        None => (false, path.strip_prefix('$').ok_or_else(bad)?),
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err(bad());
            }
            steps.push(Step::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(bad)?;
            steps.push(Step::Index(after[..end].parse().map_err(|_| bad())?));
            rest = &after[end + 1..];
        } else {
            return Err(bad());
        }
    }
    Ok((context, steps))
}

/// The value at `path` in `input` (or, for `$$…`, in `context`).
pub fn get(input: &Value, context: &Value, path: &str) -> Result<Value, Failure> {
    let (from_context, steps) = parse(path)?;
    let mut at = if from_context { context } else { input };
    for step in &steps {
        let next = match step {
            Step::Key(key) => at.get(key.as_str()),
            Step::Index(index) => at.get(*index),
        };
        at = next.ok_or_else(|| Failure::runtime(format!("The JSONPath '{path}' could not be found in the input")))?;
    }
    Ok(at.clone())
}

/// Puts `value` at `path` in `target` (`ResultPath`), creating objects on the way; `$` replaces the whole.
pub fn set(target: &mut Value, path: &str, value: Value) -> Result<(), Failure> {
    let (from_context, steps) = parse(path)?;
    if from_context {
        return Err(Failure::runtime(format!("ResultPath '{path}' cannot point into the context")));
    }
    let mut at = target;
    for step in &steps {
        let Step::Key(key) = step else {
            return Err(Failure::runtime(format!("ResultPath '{path}' may only name fields")));
        };
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let object = at.as_object_mut().ok_or_else(|| Failure::runtime("not an object"))?;
        at = object.entry(key.clone()).or_insert(Value::Null);
    }
    *at = value;
    Ok(())
}

/// A `.$` value: a path, or an intrinsic function call.
pub fn evaluate(expression: &str, input: &Value, context: &Value) -> Result<Value, Failure> {
    let expression = expression.trim();
    if expression.starts_with("States.") {
        intrinsic(expression, input, context)
    } else {
        get(input, context, expression)
    }
}

/// A payload template (`Parameters`, `ItemSelector`, `ResultSelector`) filled from `input` and `context`.
pub fn template(template: &Value, input: &Value, context: &Value) -> Result<Value, Failure> {
    Ok(match template {
        Value::Object(members) => {
            let mut out = Map::new();
            for (key, value) in members {
                match key.strip_suffix(".$") {
                    Some(name) => {
                        let expression = value
                            .as_str()
                            .ok_or_else(|| Failure::runtime(format!("the value of '{key}' must be a path")))?;
                        out.insert(name.to_owned(), evaluate(expression, input, context)?);
                    }
                    None => {
                        out.insert(key.clone(), self::template(value, input, context)?);
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| self::template(item, input, context)).collect::<Result<_, _>>()?)
        }
        other => other.clone(),
    })
}

/// Splits an argument list at its top-level commas (not inside quotes or parentheses).
fn split_arguments(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut quoted, mut escaped, mut start) = (Vec::new(), 0, false, false, 0);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !text[start..].trim().is_empty() {
        parts.push(text[start..].trim());
    }
    parts
}

fn argument(text: &str, input: &Value, context: &Value) -> Result<Value, Failure> {
    if let Some(body) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        // \' and \\ are unescaped here; \{ and \} stay for States.Format.
        let (mut out, mut chars) = (String::new(), body.chars());
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some(next @ ('\'' | '\\'))) => {
                    out.push(next);
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        return Ok(Value::String(out));
    }
    if text.starts_with('$') || text.starts_with("States.") {
        return evaluate(text, input, context);
    }
    serde_json::from_str(text).map_err(|_| Failure::runtime(format!("unsupported argument {text}")))
}

fn intrinsic(call: &str, input: &Value, context: &Value) -> Result<Value, Failure> {
    let bad = || Failure::runtime(format!("malformed intrinsic function call {call}"));
    let open = call.find('(').ok_or_else(bad)?;
    let inner = call[open + 1..].strip_suffix(')').ok_or_else(bad)?;
    let args =
        split_arguments(inner).into_iter().map(|arg| argument(arg, input, context)).collect::<Result<Vec<_>, _>>()?;
    let name = &call[..open];
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(Failure::new("States.IntrinsicFailure", format!("{name} takes {n} argument(s)")))
        }
    };
    match name {
        "States.JsonToString" => {
            arity(1)?;
            Ok(Value::String(args[0].to_string()))
        }
        "States.StringToJson" => {
            arity(1)?;
            let text = args[0].as_str().ok_or_else(|| Failure::new("States.IntrinsicFailure", "not a string"))?;
            serde_json::from_str(text)
                .map_err(|err| Failure::new("States.IntrinsicFailure", format!("States.StringToJson: {err}")))
        }
        "States.Format" => {
            let template = args.first().and_then(Value::as_str).ok_or_else(bad)?;
            let mut values = args[1..].iter();
            let (mut out, mut chars) = (String::new(), template.chars().peekable());
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '{' if chars.peek() == Some(&'}') => {
                        chars.next();
                        let value = values.next().ok_or_else(|| {
                            Failure::new("States.IntrinsicFailure", "too few arguments for States.Format")
                        })?;
                        match value {
                            Value::String(s) => out.push_str(s),
                            other => out.push_str(&other.to_string()),
                        }
                    }
                    c => out.push(c),
                }
            }
            Ok(Value::String(out))
        }
        _ => Err(Failure::runtime(format!("unsupported intrinsic function {name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_templates_and_intrinsics() {
        let input = json!({"a": {"b": [{"c": 1}, {"c": "two"}]}, "s": "{\"x\":[1]}", "jobId": "job-1"});
        let context = json!({"Map": {"Item": {"Value": 7}}});
        assert_eq!(get(&input, &context, "$.a.b[1].c").unwrap(), json!("two"));
        assert_eq!(get(&input, &context, "$$.Map.Item.Value").unwrap(), json!(7));
        assert_eq!(get(&input, &context, "$.nope").unwrap_err().error, "States.Runtime");
        let filled = template(
            &json!({"k.$": "$.a.b[0].c", "fixed": [{"v.$": "$$.Map.Item.Value"}], "j.$": "States.JsonToString($.a.b[0])",
                    "p.$": "States.StringToJson($.s)", "f.$": "States.Format('job {} has {} (it\\'s \\{fine\\})', $.jobId, $.a.b[0].c)"}),
            &input,
            &context,
        )
        .unwrap();
        assert_eq!(
            filled,
            json!({"k": 1, "fixed": [{"v": 7}], "j": "{\"c\":1}", "p": {"x": [1]}, "f": "job job-1 has 1 (it's {fine})"})
        );
        let mut target = json!({"keep": 1});
        set(&mut target, "$.result.inner", json!(2)).unwrap();
        assert_eq!(target, json!({"keep": 1, "result": {"inner": 2}}));
        set(&mut target, "$", json!("all")).unwrap();
        assert_eq!(target, json!("all"));
    }
}
