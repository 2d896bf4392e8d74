"""Each official SDK talks to BitRouter in its own protocol while the upstream speaks another."""

import anthropic
import pytest
from google import genai
from google.genai import types
from openai import OpenAI


def test_openai_sdk_to_anthropic_upstream(all_upstreams_router):
    client = OpenAI(base_url=all_upstreams_router + "/v1", api_key="x", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="claude-haiku-4-5",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi from openai"}],
    )
    assert raw.headers["x-bitrouter-provider"] == "anthropic"
    r = raw.parse()
    assert r.choices[0].message.content == "echo: hi from openai"
    assert r.usage.prompt_tokens > 0


def test_openai_sdk_streams_from_google_upstream(all_upstreams_router):
    client = OpenAI(base_url=all_upstreams_router + "/v1", api_key="x", max_retries=0)
    stream = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "stream from gemini"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
    assert text == "echo: stream from gemini"
    assert usage is not None and usage.completion_tokens > 0


def test_anthropic_sdk_to_google_upstream(all_upstreams_router):
    client = anthropic.Anthropic(base_url=all_upstreams_router, api_key="x", max_retries=0)
    msg = client.messages.create(
        model="gemini-2.5-flash",
        max_tokens=256,
        system="be brief",
        messages=[{"role": "user", "content": "hi from claude"}],
    )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "echo: hi from claude"
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens > 0


def test_anthropic_sdk_streams_from_openai_upstream(all_upstreams_router):
    client = anthropic.Anthropic(base_url=all_upstreams_router, api_key="x", max_retries=0)
    with client.messages.stream(
        model="gpt-4o-mini", max_tokens=256, messages=[{"role": "user", "content": "stream please"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "echo: stream please"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


def test_anthropic_sdk_errors_are_anthropic_errors(all_upstreams_router):
    client = anthropic.Anthropic(base_url=all_upstreams_router, api_key="x", max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as e:
        client.messages.create(model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert "no-such-model" in str(e.value)


def test_genai_sdk_to_openai_upstream(all_upstreams_router):
    client = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=all_upstreams_router))
    r = client.models.generate_content(
        model="gpt-4o-mini",
        contents="hi from gemini sdk",
        config=types.GenerateContentConfig(system_instruction="be brief"),
    )
    assert r.text == "echo: hi from gemini sdk"
    assert r.usage_metadata.prompt_token_count > 0


def test_genai_sdk_streams_from_anthropic_upstream(all_upstreams_router):
    client = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=all_upstreams_router))
    text = ""
    for chunk in client.models.generate_content_stream(model="claude-haiku-4-5", contents="stream it"):
        text += chunk.text or ""
    assert text == "echo: stream it"


def test_genai_sdk_function_call_from_openai_upstream(all_upstreams_router):
    client = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=all_upstreams_router))
    weather = types.FunctionDeclaration(
        name="get_weather",
        description="weather for a city",
        parameters=types.Schema(
            type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]
        ),
    )
    r = client.models.generate_content(
        model="gpt-4o-mini",
        contents="weather in Paris?",
        config=types.GenerateContentConfig(
            tools=[types.Tool(function_declarations=[weather])],
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(mode="ANY", allowed_function_names=["get_weather"])
            ),
        ),
    )
    calls = r.function_calls
    assert calls and calls[0].name == "get_weather"
    assert "city" in calls[0].args
