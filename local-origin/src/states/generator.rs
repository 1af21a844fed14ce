//! The local stand-in for the model Bedrock would run: deterministic, structured text from the request alone,
//! so a test knows what it gets. It writes an outline (a description and one titled entry per day) and each
//! day's lesson (title, reading, action items, resources), answering as the Anthropic messages API answers on
//! Bedrock: `{"content":[{"type":"text","text":"<the JSON>"}], …}`.

use serde_json::{json, Value};

const THEMES: &[&str] = &[
    "Foundations",
    "Core Concepts",
    "Hands-On Practice",
    "Common Pitfalls",
    "Patterns in Depth",
    "Real-World Application",
    "Review and Next Steps",
];

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect::<String>().trim().to_owned()
}

/// The outline of the course `request` asks for (`title`, `category`, `durationDays`, `targetAudience`).
pub fn outline(request: &Value) -> Value {
    let title = request["title"].as_str().unwrap_or("Untitled course");
    let audience = request["targetAudience"].as_str().filter(|a| !a.is_empty()).unwrap_or("everyone");
    let days = request["durationDays"].as_u64().unwrap_or(1).clamp(1, 365);
    let entries: Vec<Value> = (1..=days)
        .map(|day| {
            let theme = THEMES[(day as usize - 1) % THEMES.len()];
            json!({
                "day": day,
                "title": cut(&format!("Day {day}: {theme} of {title}"), 200),
                "summary": format!("{theme} of {title}, in one focused session for {audience}."),
            })
        })
        .collect();
    json!({
        "description": cut(&format!(
            "{title}: a {days}-day course for {audience}. Each day brings one short reading, a few concrete \
             actions and resources to go further."
        ), 1000),
        "days": entries,
    })
}

/// The lesson of one day: `brief` holds `course` (the request), `courseDescription` and `day` (its entry).
pub fn lesson(brief: &Value) -> Value {
    let course = brief["course"]["title"].as_str().unwrap_or("the course");
    let day = brief["day"]["day"].as_u64().unwrap_or(1);
    let title = brief["day"]["title"].as_str().map(str::to_owned).unwrap_or_else(|| format!("Day {day}"));
    let summary = brief["day"]["summary"].as_str().unwrap_or_default();
    let audience = brief["course"]["targetAudience"].as_str().filter(|a| !a.is_empty()).unwrap_or("you");
    let content = format!(
        "{summary}\n\nToday's reading for {audience}: what this step of {course} is, why it matters, and how it \
         builds on day {previous}. Read it once for the idea, then again with your own work in mind.\n\n\
         Worked example: take one real situation from this week and walk through it with today's idea, noting \
         what you would do differently.\n\nKey takeaway: {title}.",
        previous = day.saturating_sub(1).max(1),
    );
    json!({
        "day": day,
        "title": cut(&title, 200),
        "content": content,
        "actionItems": [
            format!("Read today's lesson on {}", cut(&title, 80)),
            "Apply the idea to one real task today".to_owned(),
            "Write three sentences about what changed".to_owned(),
        ],
        "resources": [
            {"title": format!("{course}: day {day} notes"), "url": format!("https://learn.momentum.example/notes/day-{day}")},
        ],
    })
}

/// The model's answer carrying `json` as its text, shaped as Bedrock's InvokeModel returns an Anthropic model's.
pub fn answer(model: &str, json: &Value) -> Value {
    json!({
        "Body": {
            "id": "msg_local",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": json.to_string()}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 0, "output_tokens": 0},
        },
        "ContentType": "application/json",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_structured() {
        let request = json!({"title": "Advanced React Patterns", "category": "programming", "durationDays": 5,
                             "targetAudience": "Intermediate developers"});
        let plan = outline(&request);
        assert_eq!(plan, outline(&request));
        let days = plan["days"].as_array().expect("days");
        assert_eq!(days.len(), 5);
        let written = lesson(&json!({"course": request, "courseDescription": plan["description"], "day": days[2]}));
        assert_eq!(written["day"], 3);
        assert!(written["title"].as_str().expect("title").contains("Hands-On Practice"));
        assert!(written["content"].as_str().expect("content").len() > 200);
        assert_eq!(written["actionItems"].as_array().expect("items").len(), 3);
        assert!(written["resources"][0]["url"].as_str().expect("url").starts_with("https://"));
    }
}
