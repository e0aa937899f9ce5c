@echo off
rem Windows half of host-folders: makes each folder named on the command line (the ones
rem devcontainer.json mounts, such as %USERPROFILE%\.aws) unless it exists. Kept under 512
rem bytes so that goto finds its label even if the file lost its CRLF line endings.
setlocal
:next
if "%~1"=="" exit /b 0
set "folder=%~1"
set "folder=%folder:/=\%"
if not exist "%folder%\" mkdir "%folder%"
if not exist "%folder%\" exit /b 1
shift
goto next
