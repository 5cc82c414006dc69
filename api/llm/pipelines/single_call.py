"""The single-call pipeline (prompt v1): the whole chunk in one prompt, the whole
ArticleExtraction in one answer. For capable hosted models; the 0.5B local model never gave a
valid answer this way (measured: 3 attempts, 324 s, and the second re-ask overflowed n_ctx)."""

from __future__ import annotations

from api.llm.calls import CallLog
from api.llm.pipelines import ArticleChunk, Pipeline
from api.llm.prompts import schema_sha256 as sha256_of_schema
from schemas.extraction import ArticleAnswer, ArticleExtraction


class SingleCallPipeline(Pipeline):
    name = "single"
    required_blocks = ("system", "user")

    @classmethod
    def schema_sha256(cls) -> str:
        return sha256_of_schema(ArticleAnswer)

    def extract(self, chunk: ArticleChunk, calls: CallLog) -> ArticleExtraction:
        messages = self.prompt.render(
            title=chunk.title,
            dateline=chunk.dateline,
            article_date=chunk.article_date.isoformat() if chunk.article_date else None,
            text=chunk.text,
            chunk_number=chunk.number,
            chunk_count=chunk.count,
        )
        context = {"article_text": chunk.text, "article_date": chunk.article_date}
        return self.caller.ask(messages, ArticleAnswer, context, calls)
