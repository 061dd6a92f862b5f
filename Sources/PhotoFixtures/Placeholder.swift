public enum PhotoFixturesPlaceholder {}
