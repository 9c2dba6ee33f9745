"""Writing in one's own words: handwriting recognition and the pinyin/word index."""
