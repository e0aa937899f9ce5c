@echo off
rem Makes the folders on this machine that devcontainer.json mounts (such as %USERPROFILE%\.aws),
rem so the dev container opens on a machine that does not have them yet: Docker refuses to mount
rem a folder that does not exist. devcontainer.json's initializeCommand runs this file on Windows
rem (cmd.exe) and host-folders beside it on macOS and Linux.
setlocal
:next
if "%~1"=="" exit /b 0
set "folder=%~1"
set "folder=%folder:/=\%"
if not exist "%folder%\" mkdir "%folder%"
if not exist "%folder%\" exit /b 1
shift
goto next
