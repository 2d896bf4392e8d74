"""The official OpenAI Python SDK, pointed at BitRouter, against an OpenAI-compatible upstream."""

import json

import openai
import pytest
from openai import OpenAI

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(params=["/v1", ""], ids=["with-v1", "without-v1"])
def client(request, openai_upstream_router):
    return OpenAI(base_url=openai_upstream_router + request.param, api_key="not-an-upstream-key", max_retries=0)


def test_plain_completion(client):
    r = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello sdk"}]
    )
    assert r.choices[0].message.content == "echo: hello sdk"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0


def test_raw_headers_name_the_provider(client):
    raw = client.chat.completions.with_raw_response.create(
        model="openai:gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-bitrouter-provider"] == "openai"
    assert raw.headers["x-bitrouter-request-id"].startswith("req_")


def test_streaming_completion_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "stream me please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert text == "echo: stream me please"
    assert finish == "stop"
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_tool_calls_round_trip(client):
    messages = [{"role": "user", "content": "weather in Paris?"}]
    r = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    call = r.choices[0].message.tool_calls[0]
    assert r.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    args = json.loads(call.function.arguments)
    assert "city" in args
    messages.append(r.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'})
    follow = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    assert follow.choices[0].message.content.startswith("echo:")


def test_streamed_tool_calls(client):
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "weather?"}],
        tools=TOOLS,
        tool_choice="required",
        stream=True,
    )
    calls, finish = {}, None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for tc in choice.delta.tool_calls or []:
                entry = calls.setdefault(tc.index, {"name": "", "arguments": ""})
                if tc.function and tc.function.name:
                    entry["name"] = tc.function.name
                if tc.function and tc.function.arguments:
                    entry["arguments"] += tc.function.arguments
    assert finish == "tool_calls"
    assert calls[0]["name"] == "get_weather"
    assert "city" in json.loads(calls[0]["arguments"])


def test_unknown_model_is_a_not_found_error(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert "no-such-model" in str(e.value)
    assert e.value.body["code"] == "model_not_found"


def test_bad_request_is_a_bad_request_error(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages="not a list")


def test_models_listing(client):
    ids = [m.id for m in client.models.list()]
    assert "gpt-4o-mini" in ids and "openai:gpt-4o-mini" in ids
