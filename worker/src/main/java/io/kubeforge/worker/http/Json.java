package io.kubeforge.worker.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.kubeforge.worker.support.WorkerException;
import java.util.Map;

/** Json holds the worker's one ObjectMapper: strict on input, plain on output. */
public final class Json {
  /** Deepest nesting a request may have; every real request is a few levels deep. */
  static final int MAX_NESTING = 32;

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(MAX_NESTING).maxStringLength(1 << 20).maxNumberLength(64).build());
  }

  private Json() {}

  /** Decodes a request body that must be one JSON object; anything else is a 400. */
  public static Map<String, Object> decodeObject(String body) {
    if (body == null || body.isBlank()) {
      return new java.util.LinkedHashMap<>();
    }
    try {
      Object value = MAPPER.readValue(body, Object.class);
      if (!(value instanceof Map)) {
        throw WorkerException.badInput("request.not_an_object", null, "the request body must be a JSON object");
      }
      return MAPPER.convertValue(value, new TypeReference<Map<String, Object>>() {});
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
      throw WorkerException.badInput("request.malformed_json", null,
          "the request body is not valid JSON" + where + ": " + e.getOriginalMessage().split("\n")[0]);
    }
  }

  /** Encodes a response value. */
  public static String encode(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response is not serialisable", e);
    }
  }
}
